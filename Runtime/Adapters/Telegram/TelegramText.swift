/// Text as the Bot API's HTML parse mode takes it: everything escaped, and cut into messages of at most
/// 4096 characters on line boundaries (the one chunker every sender uses).
public enum TelegramText {
    /// The longest message text, characters.
    public static let messageLimit = 4096

    /// `<`, `>` and `&` as entities (HTML mode refuses them bare).
    public static func escapeHTML(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "&": escaped += "&amp;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// `text` in pieces of at most `limit` UTF-16 units (Telegram's measure), cut after a newline where
    /// one is within the piece, else at the limit but never inside an `&…;` entity. Joined, the pieces
    /// are `text`. Empty text gives no piece.
    public static func chunks(_ text: String, limit: Int = messageLimit) -> [String] {
        precondition(limit >= 16, "a message must hold at least an entity")
        var pieces: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.utf16.count <= limit {
                pieces.append(String(rest))
                break
            }
            // The longest prefix within the limit, then back to its last newline (or entity start).
            var end = rest.startIndex
            var units = 0
            for index in rest.indices {
                let width = rest[index].utf16.count
                if units + width > limit { break }
                units += width
                end = rest.index(after: index)
            }
            var cut = end
            if let newline = rest[rest.startIndex..<end].lastIndex(of: "\n") {
                cut = rest.index(after: newline)
            } else if let ampersand = rest[rest.startIndex..<end].lastIndex(of: "&"), !rest[ampersand..<end].contains(";"),
                      ampersand > rest.startIndex {
                cut = ampersand
            }
            pieces.append(String(rest[rest.startIndex..<cut]))
            rest = rest[cut...]
        }
        return pieces
    }
}
