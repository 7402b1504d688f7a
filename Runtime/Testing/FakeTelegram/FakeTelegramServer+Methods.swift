import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension FakeTelegramServer {
    func handle(_ request: Request, bot: String, method rawMethod: String) async throws -> Response {
        let method = rawMethod.lowercased()
        state.withLock { $0.calls[method, default: 0] += 1 }
        guard bot.hasPrefix("bot") else { return failure(404, "Not Found") }
        guard bot.dropFirst(3) == token else { return failure(401, "Unauthorized") }
        let fault: Injected? = state.withLock { state in
            guard let index = state.injected.firstIndex(where: { $0.method == method || $0.method == "*" }) else { return nil }
            return state.injected.remove(at: index).fault
        }
        if let fault {
            if fault.delaySeconds > 0 { try await Task.sleep(nanoseconds: UInt64(fault.delaySeconds * 1e9)) }
            if fault.status != 200 {
                let description = fault.status == 429 ? "Too Many Requests: retry after \(fault.retryAfter ?? 1)"
                    : fault.status == 409 ? "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
                    : "Internal Server Error"
                return failure(fault.status, description, retryAfter: fault.status == 429 ? (fault.retryAfter ?? 1) : nil)
            }
        }
        if method == "sendphoto" { return try await photo(request) }
        let parameters = try await Self.parameters(of: request)
        switch method {
        case "getme": return success(["id": 123_456, "is_bot": true, "first_name": "TradeBot", "username": "trade_bot"])
        case "deletewebhook": return success(true)
        case "getupdates": return try await getUpdates(parameters)
        case "sendmessage", "editmessagetext": return record(parameters, method: method == "sendmessage" ? "sendMessage" : "editMessageText")
        case "answercallbackquery":
            state.withLock { $0.callbackAnswers.append(Self.text(parameters["callback_query_id"]) ?? "") }
            return success(true)
        case "setmycommands":
            let commands = (Self.structured(parameters["commands"]) as? [[String: Any]]) ?? []
            let valid = commands.count <= 100 && commands.allSatisfy { command in
                let name = (command["command"] as? String) ?? "", description = (command["description"] as? String) ?? ""
                return (1...32).contains(name.count) && name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" } && name.allSatisfy(\.isASCII)
                    && (1...256).contains(description.count)
            }
            guard valid else { return failure(400, "Bad Request: BOT_COMMAND_INVALID") }
            state.withLock { $0.commands = commands.compactMap { $0["command"] as? String } }
            return success(true)
        default: return failure(404, "Not Found: method not found")
        }
    }

    private func getUpdates(_ parameters: [String: Any]) async throws -> Response {
        let offset = Self.integer(parameters["offset"])
        let timeout = min(max(Self.integer(parameters["timeout"]) ?? 0, 0), 50)
        let limit = Int(min(max(Self.integer(parameters["limit"]) ?? 100, 1), 100))
        let generation = state.withLock { state in
            if let offset { state.updates.removeAll { $0.id < offset } }  // confirmed
            state.pollGeneration += 1
            return state.pollGeneration
        }
        let deadline = Date().addingTimeInterval(Double(timeout))
        while true {
            let (current, batch) = state.withLock { ($0.pollGeneration, Array($0.updates.prefix(limit))) }
            if current != generation {
                return failure(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
            }
            if !batch.isEmpty || Date() >= deadline {
                return Self.json(200, "{\"ok\":true,\"result\":[" + batch.map(\.json).joined(separator: ",") + "]}")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    private func record(_ parameters: [String: Any], method: String) -> Response {
        guard let chatID = Self.integer(parameters["chat_id"]) else { return failure(400, "Bad Request: chat not found") }
        let text = Self.text(parameters["text"]) ?? ""
        let parseMode = Self.text(parameters["parse_mode"])
        if text.allSatisfy(\.isWhitespace) { return failure(400, "Bad Request: message text is empty") }
        if Self.visibleLength(text, html: parseMode?.uppercased() == "HTML") > 4096 { return failure(400, "Bad Request: message is too long") }
        if parseMode?.uppercased() == "HTML", !Self.isWellFormedHTML(text) {
            return failure(400, "Bad Request: can't parse entities: unsupported start tag or unescaped character")
        }
        let keyboard = ((Self.structured(parameters["reply_markup"]) as? [String: Any])?["inline_keyboard"] as? [[[String: Any]]]) ?? []
        let buttons = keyboard.flatMap { $0 }.map { [($0["text"] as? String) ?? "", ($0["callback_data"] as? String) ?? ""] }
        if buttons.contains(where: { !(1...64).contains($0[1].utf8.count) }) { return failure(400, "Bad Request: BUTTON_DATA_INVALID") }
        if method == "editMessageText" {
            let problem: String? = state.withLock { state in
                guard let last = state.sent.last(where: { $0.chatID == chatID && $0.messageID == Self.integer(parameters["message_id"]) }) else {
                    return "Bad Request: message to edit not found"
                }
                return last.text == text ? "Bad Request: message is not modified" : nil
            }
            if let problem { return failure(400, problem) }
        }
        let message: SentMessage = state.withLock { state in
            let id = method == "sendMessage" ? state.nextMessageID : (Self.integer(parameters["message_id"]) ?? 0)
            if method == "sendMessage" { state.nextMessageID += 1 }
            let message = SentMessage(messageID: id, chatID: chatID, text: text, parseMode: parseMode, buttons: buttons, method: method)
            state.sent.append(message)
            return message
        }
        return success(["message_id": message.messageID, "date": Int(Date().timeIntervalSince1970), "text": text,
                        "chat": ["id": chatID, "type": "private"], "from": ["id": 123_456, "is_bot": true, "first_name": "TradeBot"]])
    }

    /// `sendPhoto` from a `multipart/form-data` body: plain parts and the `photo` file part.
    private func photo(_ request: Request) async throws -> Response {
        let type = request.headers[.contentType] ?? ""
        guard type.hasPrefix("multipart/form-data"), let boundary = type.components(separatedBy: "boundary=").last, !boundary.isEmpty else {
            return failure(400, "Bad Request: there is no photo in the request")
        }
        let body = Array((try await request.body.collect(upTo: 12 << 20)).readableBytesView)
        var fields: [String: String] = [:]
        var file: (name: String, bytes: [UInt8])?
        for part in Self.split(body, by: Array("--\(boundary)".utf8)) {
            guard let headerEnd = Self.find(Array("\r\n\r\n".utf8), in: part) else { continue }
            let headers = String(decoding: part[..<headerEnd], as: UTF8.self)
            var content = Array(part[(headerEnd + 4)...])
            if content.suffix(2) == [13, 10] { content.removeLast(2) }
            guard let name = Self.attribute("name", in: headers) else { continue }
            if let filename = Self.attribute("filename", in: headers), name == "photo" {
                file = (filename, content)
            } else {
                fields[name] = String(decoding: content, as: UTF8.self)
            }
        }
        guard let chatID = fields["chat_id"].flatMap({ Int64($0) }) else { return failure(400, "Bad Request: chat not found") }
        guard let file else { return failure(400, "Bad Request: there is no photo in the request") }
        // The official wording for an oversize upload is not documented; this one is the fake's.
        if file.bytes.count > 10 << 20 { return failure(400, "Bad Request: photo is larger than 10 MB") }
        if (fields["caption"] ?? "").count > 1024 { return failure(400, "Bad Request: message caption is too long") }
        let id: Int64 = state.withLock { state in
            let id = state.nextMessageID
            state.nextMessageID += 1
            state.photos.append(SentPhoto(messageID: id, chatID: chatID, caption: fields["caption"], filename: file.name, bytes: file.bytes))
            return id
        }
        return success(["message_id": id, "date": Int(Date().timeIntervalSince1970), "chat": ["id": chatID, "type": "private"],
                        "photo": [["file_id": "photo\(id)", "file_unique_id": "u\(id)", "width": 800, "height": 400]]])
    }

    static func split(_ bytes: [UInt8], by delimiter: [UInt8]) -> [ArraySlice<UInt8>] {
        var parts: [ArraySlice<UInt8>] = []
        var start = 0
        while let found = find(delimiter, in: bytes[start...]) {
            if found > start { parts.append(bytes[start..<found]) }
            start = found + delimiter.count
        }
        return parts.map { $0.first == 13 ? $0.dropFirst(2) : $0 }  // drop the CRLF after the delimiter
    }

    static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var index = haystack.startIndex
        while index + needle.count <= haystack.endIndex {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    static func attribute(_ name: String, in headers: String) -> String? {
        guard let range = headers.range(of: "\(name)=\"") else { return nil }
        let rest = headers[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    // MARK: Wire helpers

    /// Query items, then a JSON object body or a urlencoded form (values that are JSON text stay text).
    static func parameters(of request: Request) async throws -> [String: Any] {
        var parameters: [String: Any] = [:]
        for (name, value) in request.uri.queryParameters { parameters[String(name)] = String(value) }
        let body = try await request.body.collect(upTo: 12 << 20)
        let data = Data(body.readableBytesView)
        let type = request.headers[.contentType] ?? ""
        if type.contains("json"), let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
            parameters.merge(object) { $1 }
        } else if type.contains("x-www-form-urlencoded") {
            for pair in String(decoding: data, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
                if parts.count == 2 { parameters[parts[0]] = parts[1] }
            }
        }
        return parameters
    }

    static func text(_ value: Any?) -> String? {
        switch value {
        case let string as String: string
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }

    static func integer(_ value: Any?) -> Int64? { text(value).flatMap { Int64($0) } }

    /// An object or array parameter, sent as JSON or as JSON text in a form field.
    static func structured(_ value: Any?) -> Any? {
        if let text = value as? String { return try? JSONSerialization.jsonObject(with: Data(text.utf8)) }
        return value
    }

    /// Characters as Telegram counts them (UTF-16 units, after HTML tags and entities are parsed).
    static func visibleLength(_ text: String, html: Bool) -> Int {
        guard html else { return text.utf16.count }
        let stripped = text.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        return stripped.utf16.count
    }

    /// HTML mode takes only its tags (b, i, u, s, code, pre, a), balanced and nested, and escaped `<`,
    /// `>`, `&`: an unclosed or crossed span is refused, as the real server does.
    static func isWellFormedHTML(_ text: String) -> Bool {
        let names: Set<String> = ["b", "i", "u", "s", "code", "pre", "a"]
        var stack: [String] = []
        var rest = Substring(text)
        while let start = rest.firstIndex(where: { $0 == "<" || $0 == ">" || $0 == "&" }) {
            if rest[start] == ">" { return false }
            if rest[start] == "&" {
                guard let end = rest[start...].firstIndex(of: ";"),
                      rest[start...end].range(of: "^&(lt|gt|amp|quot|#[0-9]+);$", options: .regularExpression) != nil else { return false }
                rest = rest[rest.index(after: end)...]
                continue
            }
            guard let end = rest[start...].firstIndex(of: ">") else { return false }
            let inner = rest[rest.index(after: start)..<end]
            if inner.hasPrefix("/") {
                guard stack.popLast() == String(inner.dropFirst()) else { return false }
            } else {
                let name = String(inner.split(separator: " ").first ?? "")
                guard names.contains(name), name == "a" || !inner.contains(" ") else { return false }
                stack.append(name)
            }
            rest = rest[rest.index(after: end)...]
        }
        return stack.isEmpty
    }

    func success(_ result: Any) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: ["ok": true, "result": result], options: [.sortedKeys, .fragmentsAllowed])) ?? Data()
        return Self.json(200, String(decoding: data, as: UTF8.self))
    }

    func failure(_ status: Int, _ description: String, retryAfter: Int? = nil) -> Response {
        var object: [String: Any] = ["ok": false, "error_code": status, "description": description]
        if let retryAfter { object["parameters"] = ["retry_after": retryAfter] }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var response = Self.json(status, String(decoding: data, as: UTF8.self))
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    static func json(_ status: Int, _ text: String) -> Response {
        Response(status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
