/// Text as the Bot API's HTML parse mode takes it: everything escaped, and cut into messages of at most
/// 4096 characters on line boundaries (the one chunker every sender uses).
public enum TelegramText {
    /// The longest message text, UTF-16 units (Telegram's measure).
    public static let messageLimit = 4096
    /// Room kept in every piece for the closing tags of spans cut across pieces.
    static let closingRoom = 64

    /// `<`, `>` and `&` as entities (HTML mode refuses them bare).
    public static func escapeHTML(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "&": escaped += "&amp;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// HTML `text` in pieces of at most `limit` UTF-16 units, each valid on its own: cut after a newline
    /// where one is in the piece (and leaves it more than blank), else at the limit, never inside a tag,
    /// an `&…;` entity or a Unicode scalar; a span open at a cut (`<b>`, `<pre>`, `<a href=…>`) is closed
    /// at the end of its piece and opened again at the start of the next. Without markup, the pieces
    /// joined are `text`. Empty text gives no piece.
    public static func chunks(_ text: String, limit: Int = messageLimit) -> [String] {
        precondition(limit > closingRoom + 16, "a message must hold a tag and its closing")
        var pieces: [String] = []
        var rest = Substring.UnicodeScalarView(text.unicodeScalars)
        var reopened = ""  // the tags open at the last cut, opened again in front of the next piece
        while !rest.isEmpty {
            let room = limit - reopened.utf16.count
            if rest.reduce(0, { $0 + $1.utf16.count }) <= room {
                pieces.append(reopened + String(rest))
                break
            }
            let window = prefix(of: rest, units: room - closingRoom)
            var cut = window.endIndex
            if let newline = window.lastIndex(of: "\n"), !window[window.startIndex..<newline].allSatisfy({ $0.properties.isWhitespace }) {
                cut = window.index(after: newline)
            } else if let open = window.lastIndex(where: { $0 == "<" || $0 == "&" }),
                      !window[open...].contains(where: { $0 == ">" || $0 == ";" }), open > window.startIndex {
                cut = open  // not inside a tag or an entity
            }
            let piece = String(String.UnicodeScalarView(window[window.startIndex..<cut]))
            let open = openTags(after: reopened + piece)
            pieces.append(reopened + piece + open.reversed().map { "</\($0.name)>" }.joined())
            reopened = open.map(\.tag).joined()
            rest = rest[cut...]
        }
        return pieces
    }

    /// The longest prefix of `scalars` within `units` UTF-16 units (at least one scalar).
    private static func prefix(of scalars: Substring.UnicodeScalarView, units: Int) -> Substring.UnicodeScalarView {
        var end = scalars.startIndex
        var used = 0
        for index in scalars.indices {
            let width = scalars[index].utf16.count
            if used + width > units, end > scalars.startIndex { break }
            used += width
            end = scalars.index(after: index)
        }
        return scalars[scalars.startIndex..<end]
    }

    /// The tags left open at the end of `html`, outermost first: each with its name and its whole text.
    static func openTags(after html: String) -> [(name: String, tag: String)] {
        var stack: [(name: String, tag: String)] = []
        var index = html.startIndex
        while let start = html[index...].firstIndex(of: "<"), let end = html[start...].firstIndex(of: ">") {
            let tag = String(html[start...end])
            let inner = tag.dropFirst().dropLast()
            if inner.hasPrefix("/") {
                let name = inner.dropFirst().lowercased()
                if let last = stack.lastIndex(where: { $0.name == name }) { stack.removeSubrange(last...) }
            } else if let name = inner.split(separator: " ").first?.lowercased() {
                stack.append((name, tag))
            }
            index = html.index(after: end)
        }
        return stack
    }
}
