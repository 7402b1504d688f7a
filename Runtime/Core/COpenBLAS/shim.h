// OpenBLAS's CBLAS interface (Debian's libopenblas-dev; cblas.h comes from the openblas-pthread
// alternative). Run with OPENBLAS_NUM_THREADS=1: for these small matrices one thread is fastest.
#include <cblas.h>
