@preconcurrency import CHDF5
import Foundation

/// An HDF5 failure, naming the file and what was being done.
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var action: String
    public var description: String { "\(path): HDF5 could not \(action)" }
}

/// A thin owner of an HDF5 file id and the small set of operations the tensor files need. HDF5's own
/// error stack printing is turned off; failures come back as `HDF5Error`.
final class HDF5File {
    let path: String
    let id: hid_t
    private var isOpen = true

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
    }

    deinit { close() }

    /// Closes the file (flushing it); later calls do nothing.
    func close() {
        guard isOpen else { return }
        isOpen = false
        H5Fclose(id)
    }

    static func create(_ path: String) throws -> HDF5File {
        silenceErrorStack()
        let id = H5Fcreate(path, chdf5_acc_trunc(), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        guard id >= 0 else { throw HDF5Error(path: path, action: "create the file") }
        return HDF5File(path: path, id: id)
    }

    static func openReadOnly(_ path: String) throws -> HDF5File {
        silenceErrorStack()
        guard FileManager.default.fileExists(atPath: path) else { throw HDF5Error(path: path, action: "open a missing file") }
        let id = H5Fopen(path, chdf5_acc_rdonly(), hid_t(H5P_DEFAULT))
        guard id >= 0 else { throw HDF5Error(path: path, action: "open the file (not an HDF5 file?)") }
        return HDF5File(path: path, id: id)
    }

    static func silenceErrorStack() { H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil) }

    func check(_ status: herr_t, _ action: String) throws {
        guard status >= 0 else { throw HDF5Error(path: path, action: action) }
    }

    func check(_ id: hid_t, _ action: String) throws -> hid_t {
        guard id >= 0 else { throw HDF5Error(path: path, action: action) }
        return id
    }

    // MARK: Datasets

    /// Creates a dataset of `type` with `dimensions`, chunked and (optionally) shuffled and deflated.
    func createDataset(_ name: String, type: hid_t, dimensions: [Int], chunk: [Int], compression: Int?) throws -> hid_t {
        var dims = dimensions.map { hsize_t($0) }
        let space = try check(H5Screate_simple(Int32(dims.count), &dims, nil), "describe \(name)")
        defer { H5Sclose(space) }
        let properties = try check(H5Pcreate(chdf5_dataset_create_class()), "configure \(name)")
        defer { H5Pclose(properties) }
        var chunkDims = zip(chunk, dimensions).map { hsize_t(max(1, min($0, $1))) }
        try check(H5Pset_chunk(properties, Int32(chunkDims.count), &chunkDims), "chunk \(name)")
        if let compression {
            try check(H5Pset_shuffle(properties), "shuffle \(name)")
            try check(H5Pset_deflate(properties, UInt32(compression)), "compress \(name)")
        }
        return try check(H5Dcreate2(id, name, type, space, hid_t(H5P_DEFAULT), properties, hid_t(H5P_DEFAULT)),
                         "create dataset \(name)")
    }

    /// Writes `values` (row-major) into rows `[firstRow, firstRow + rows)` of a 1-D or 2-D dataset.
    func writeRows<T>(_ dataset: hid_t, type: hid_t, values: UnsafeBufferPointer<T>, firstRow: Int, rows: Int, columns: Int?,
                      name: String) throws {
        guard rows > 0 else { return }
        let fileSpace = try check(H5Dget_space(dataset), "select rows of \(name)")
        defer { H5Sclose(fileSpace) }
        var start: [hsize_t] = columns == nil ? [hsize_t(firstRow)] : [hsize_t(firstRow), 0]
        var count: [hsize_t] = columns == nil ? [hsize_t(rows)] : [hsize_t(rows), hsize_t(columns!)]
        try check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil), "select rows of \(name)")
        let memorySpace = try check(H5Screate_simple(Int32(count.count), &count, nil), "describe rows of \(name)")
        defer { H5Sclose(memorySpace) }
        try check(H5Dwrite(dataset, type, memorySpace, fileSpace, hid_t(H5P_DEFAULT), values.baseAddress), "write \(name)")
    }

    /// Reads rows `[firstRow, firstRow + rows)` of a 1-D or 2-D dataset into `values`.
    func readRows<T>(_ name: String, type: hid_t, into values: UnsafeMutableBufferPointer<T>, firstRow: Int, rows: Int,
                     columns: Int?) throws {
        let dataset = try check(H5Dopen2(id, name, hid_t(H5P_DEFAULT)), "open dataset \(name)")
        defer { H5Dclose(dataset) }
        let fileSpace = try check(H5Dget_space(dataset), "select rows of \(name)")
        defer { H5Sclose(fileSpace) }
        var start: [hsize_t] = columns == nil ? [hsize_t(firstRow)] : [hsize_t(firstRow), 0]
        var count: [hsize_t] = columns == nil ? [hsize_t(rows)] : [hsize_t(rows), hsize_t(columns!)]
        try check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil), "select rows of \(name)")
        let memorySpace = try check(H5Screate_simple(Int32(count.count), &count, nil), "describe rows of \(name)")
        defer { H5Sclose(memorySpace) }
        try check(H5Dread(dataset, type, memorySpace, fileSpace, hid_t(H5P_DEFAULT), values.baseAddress), "read \(name)")
    }

    /// The dimensions of a dataset.
    func dimensions(of name: String) throws -> [Int] {
        let dataset = try check(H5Dopen2(id, name, hid_t(H5P_DEFAULT)), "open dataset \(name)")
        defer { H5Dclose(dataset) }
        let space = try check(H5Dget_space(dataset), "inspect \(name)")
        defer { H5Sclose(space) }
        var dims = [hsize_t](repeating: 0, count: 2)
        let rank = H5Sget_simple_extent_dims(space, &dims, nil)
        guard rank >= 1 else { throw HDF5Error(path: path, action: "read the shape of \(name)") }
        return dims.prefix(Int(rank)).map { Int($0) }
    }

    // MARK: Attributes (on the root group)

    func setAttribute(_ name: String, string value: String) throws {
        let type = try check(H5Tcopy(chdf5_c_s1()), "type attribute \(name)")
        defer { H5Tclose(type) }
        try check(H5Tset_size(type, chdf5_variable_size()), "type attribute \(name)")
        try check(H5Tset_cset(type, H5T_CSET_UTF8), "type attribute \(name)")
        let space = try check(H5Screate(H5S_SCALAR), "describe attribute \(name)")
        defer { H5Sclose(space) }
        let attribute = try check(H5Acreate2(id, name, type, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)), "create attribute \(name)")
        defer { H5Aclose(attribute) }
        try value.withCString { pointer in
            var reference: UnsafePointer<CChar>? = pointer
            try check(H5Awrite(attribute, type, &reference), "write attribute \(name)")
        }
    }

    func setAttribute(_ name: String, integer value: Int64) throws {
        let space = try check(H5Screate(H5S_SCALAR), "describe attribute \(name)")
        defer { H5Sclose(space) }
        let attribute = try check(H5Acreate2(id, name, chdf5_native_int64(), space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)),
                                  "create attribute \(name)")
        defer { H5Aclose(attribute) }
        var value = value
        try check(H5Awrite(attribute, chdf5_native_int64(), &value), "write attribute \(name)")
    }

    func stringAttribute(_ name: String) throws -> String {
        let attribute = try check(H5Aopen(id, name, hid_t(H5P_DEFAULT)), "open attribute \(name)")
        defer { H5Aclose(attribute) }
        let type = try check(H5Tcopy(chdf5_c_s1()), "type attribute \(name)")
        defer { H5Tclose(type) }
        try check(H5Tset_size(type, chdf5_variable_size()), "type attribute \(name)")
        try check(H5Tset_cset(type, H5T_CSET_UTF8), "type attribute \(name)")
        var pointer: UnsafeMutablePointer<CChar>?
        try check(H5Aread(attribute, type, &pointer), "read attribute \(name)")
        guard let pointer else { return "" }
        defer { H5free_memory(pointer) }
        return String(cString: pointer)
    }

    func integerAttribute(_ name: String) throws -> Int64 {
        let attribute = try check(H5Aopen(id, name, hid_t(H5P_DEFAULT)), "open attribute \(name)")
        defer { H5Aclose(attribute) }
        var value: Int64 = 0
        try check(H5Aread(attribute, chdf5_native_int64(), &value), "read attribute \(name)")
        return value
    }
}
