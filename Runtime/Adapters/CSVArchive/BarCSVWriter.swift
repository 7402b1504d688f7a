import MarketModel

/// Writes bars in the archive format `timestamp_ms,open,high,low,close,volume`. Numbers are written in
/// their shortest round-trip form, so reading the file back gives the same doubles bit for bit.
public enum BarCSVFormat {
    /// One data line with its newline.
    public static func line(_ bar: Bar) -> String {
        "\(bar.openTime),\(number(bar.open)),\(number(bar.high)),\(number(bar.low)),\(number(bar.close)),\(number(bar.volume))\n"
    }

    /// Shortest text that parses back to the same double; whole numbers keep a `.0` like Python's repr.
    static func number(_ value: Double) -> String { value.description }

    /// Writes `bars` atomically to `path` (temporary file + rename), with the header.
    public static func write(_ bars: some Sequence<Bar>, to path: String) throws {
        let writer = try AtomicFileWriter(destination: path)
        try writer.write(MarketDataFileKind.bars.header + "\n")
        for bar in bars { try writer.write(line(bar)) }
        try writer.commit()
    }
}
