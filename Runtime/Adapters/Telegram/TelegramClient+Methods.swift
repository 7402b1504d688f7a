import Foundation

extension TelegramClient {
    /// `getUpdates` from `offset` (the last confirmed id + 1; nil: whatever is pending), holding up to
    /// `timeoutSeconds`. An update that cannot be read is returned as `.other` (its id still advances the
    /// offset, so it is confirmed and never read again) and logged without its text.
    public func updates(offset: Int64?, timeoutSeconds: Int) async throws(TelegramError) -> [TelegramUpdate] {
        var parameters: [String: Any] = ["timeout": timeoutSeconds, "allowed_updates": ["message", "callback_query"]]
        if let offset { parameters["offset"] = offset }
        guard let rows = try await call("getUpdates", parameters, longPollSeconds: timeoutSeconds) as? [Any] else {
            throw .malformed("getUpdates: the result is not a list")
        }
        var updates: [TelegramUpdate] = []
        for row in rows {
            guard let object = row as? [String: Any], let id = (object["update_id"] as? NSNumber)?.int64Value else {
                logger.warning("an update without an id was dropped")
                continue
            }
            updates.append(TelegramUpdate(updateID: id, content: Self.content(object)))
            if case .other = updates.last!.content { logger.info("an update of another kind was skipped", metadata: ["update_id": "\(id)"]) }
        }
        return updates
    }

    static func content(_ object: [String: Any]) -> TelegramUpdate.Content {
        func integer(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }
        if let message = object["message"] as? [String: Any], let chat = integer((message["chat"] as? [String: Any])?["id"]),
           let messageID = integer(message["message_id"]) {
            return .message(chatID: chat, fromID: integer((message["from"] as? [String: Any])?["id"]), messageID: messageID,
                            text: message["text"] as? String, sentAt: integer(message["date"]) ?? 0,
                            isPrivate: (message["chat"] as? [String: Any])?["type"] as? String == "private")
        }
        if let callback = object["callback_query"] as? [String: Any], let id = callback["id"] as? String,
           let from = integer((callback["from"] as? [String: Any])?["id"]) {
            let message = callback["message"] as? [String: Any]
            return .callback(id: id, fromID: from, chatID: integer((message?["chat"] as? [String: Any])?["id"]),
                             messageID: integer(message?["message_id"]), data: callback["data"] as? String)
        }
        return .other
    }

    /// `sendMessage` in HTML mode (the caller escapes; `TelegramText.chunks` keeps it within the limit),
    /// with inline buttons as rows of (text, callback data). Returns the message's id.
    @discardableResult
    public func sendMessage(chatID: Int64, html text: String, buttons: [[(text: String, data: String)]] = []) async throws(TelegramError) -> Int64 {
        var parameters: [String: Any] = ["chat_id": chatID, "text": text, "parse_mode": "HTML", "link_preview_options": ["is_disabled": true]]
        if !buttons.isEmpty {
            parameters["reply_markup"] = ["inline_keyboard": buttons.map { row in row.map { ["text": $0.text, "callback_data": $0.data] } }]
        }
        guard let message = try await call("sendMessage", parameters) as? [String: Any], let id = (message["message_id"] as? NSNumber)?.int64Value else {
            throw .malformed("sendMessage: no message_id")
        }
        return id
    }

    /// `editMessageText` (a confirmation's buttons replaced by its outcome).
    public func editMessage(chatID: Int64, messageID: Int64, html text: String) async throws(TelegramError) {
        _ = try await call("editMessageText", ["chat_id": chatID, "message_id": messageID, "text": text, "parse_mode": "HTML"])
    }

    /// `answerCallbackQuery`: stops the button's spinner, with an optional short notice.
    public func answerCallback(id: String, notice: String? = nil) async throws(TelegramError) {
        var parameters: [String: Any] = ["callback_query_id": id]
        if let notice { parameters["text"] = String(notice.prefix(200)) }
        _ = try await call("answerCallbackQuery", parameters)
    }

    /// `setMyCommands`: the menu of commands (name without `/`, description).
    public func setCommands(_ commands: [(name: String, description: String)]) async throws(TelegramError) {
        _ = try await call("setMyCommands", ["commands": commands.map { ["command": $0.name, "description": String($0.description.prefix(256))] }])
    }
}

extension TelegramClient {
    /// `sendPhoto` as a `multipart/form-data` upload: `png` (at most 10 MB) with an HTML caption (at
    /// most 1024 characters). Returns the message's id.
    @discardableResult
    public func sendPhoto(chatID: Int64, png: [UInt8], filename: String = "chart.png", htmlCaption: String? = nil) async throws(TelegramError) -> Int64 {
        var fields = [("chat_id", String(chatID))]
        if let htmlCaption {
            fields.append(("caption", htmlCaption))
            fields.append(("parse_mode", "HTML"))
        }
        let boundary = "trader-\(UInt64.random(in: .min ... .max))"
        var body: [UInt8] = []
        for (name, value) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"\(filename)\"\r\nContent-Type: image/png\r\n\r\n".utf8)
        body += png
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        guard let message = try await call("sendPhoto", multipart: body, boundary: boundary) as? [String: Any],
              let id = (message["message_id"] as? NSNumber)?.int64Value
        else { throw .malformed("sendPhoto: no message_id") }
        return id
    }
}
