import Foundation

/// Lenient access to exchange JSON: BitGet sends every number as a string (and sometimes not),
/// so fields are read as text and converted with a clear failure.
struct JSONObject {
    let values: [String: Any]

    init(_ values: [String: Any]) { self.values = values }

    func text(_ key: String) -> String? {
        switch values[key] {
        case let string as String: string
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }

    func number(_ key: String) -> Double? { text(key).flatMap { Double($0) }.flatMap { $0.isFinite ? $0 : nil } }
    func integer(_ key: String) -> Int64? { text(key).flatMap { Int64($0) } }

    func required(_ key: String) throws -> String {
        guard let value = text(key) else { throw BitGetError.malformed(reason: "missing \(key)", raw: describe()) }
        return value
    }

    func requiredNumber(_ key: String) throws -> Double {
        guard let value = number(key) else { throw BitGetError.malformed(reason: "\(key) is not a number", raw: describe()) }
        return value
    }

    func describe() -> String {
        (try? JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "\(values)"
    }
}

/// `{"code": "00000", "msg": "success", "requestTime": …, "data": …}`.
struct Envelope {
    var code: String
    var message: String
    var data: Any?

    static func parse(_ body: Data) throws -> Envelope {
        guard let object = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) as? [String: Any] else {
            throw BitGetError.malformed(reason: "not a JSON object", raw: String(decoding: body.prefix(300), as: UTF8.self))
        }
        let wrapped = JSONObject(object)
        guard let code = wrapped.text("code") else {
            throw BitGetError.malformed(reason: "no code in the envelope", raw: wrapped.describe())
        }
        return Envelope(code: code, message: wrapped.text("msg") ?? "", data: object["data"])
    }
}
