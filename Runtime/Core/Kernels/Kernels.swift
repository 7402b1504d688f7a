import COpenBLAS

/// The few dense kernels the policy network and its training need, on row-major float32 buffers.
/// Each has a plain-Swift reference (`Reference`) used by the tests to cross-check the BLAS calls.
public enum Kernels {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major; op(X) is X or its transpose. `A` is m×k
    /// (k×m when transposed), `B` is k×n (n×k when transposed).
    @inline(__always)
    public static func gemm(_ a: UnsafePointer<Float>, transposeA: Bool, _ b: UnsafePointer<Float>, transposeB: Bool,
                            _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), beta,
                    c, Int32(n))
    }

    /// y += alpha · x over `count` elements.
    @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }

    /// Sum of squares.
    @inline(__always)
    public static func squaredNorm(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let norm = cblas_snrm2(Int32(count), x, 1)
        return norm * norm
    }

    /// Plain loops with the same contracts, for tests.
    public enum Reference {
        public static func gemm(_ a: [Float], transposeA: Bool, _ b: [Float], transposeB: Bool, c: inout [Float], m: Int, n: Int, k: Int,
                                alpha: Float = 1, beta: Float = 0) {
            for row in 0..<m {
                for column in 0..<n {
                    var sum: Float = 0
                    for inner in 0..<k {
                        let left = transposeA ? a[inner * m + row] : a[row * k + inner]
                        let right = transposeB ? b[column * k + inner] : b[inner * n + column]
                        sum += left * right
                    }
                    c[row * n + column] = alpha * sum + beta * c[row * n + column]
                }
            }
        }
    }
}
