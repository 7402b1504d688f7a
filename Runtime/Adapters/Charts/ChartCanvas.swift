import CCairo
import Foundation

/// Why a chart could not be drawn, naming what to change.
public struct ChartError: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// An RGB colour, each component 0…1.
struct ChartColor {
    var red: Double, green: Double, blue: Double, alpha: Double = 1

    static let background = ChartColor(red: 1, green: 1, blue: 1)
    static let ink = ChartColor(red: 0.15, green: 0.15, blue: 0.18)
    static let grid = ChartColor(red: 0.88, green: 0.89, blue: 0.91)
    static let line = ChartColor(red: 0.13, green: 0.38, blue: 0.75)
    static let loss = ChartColor(red: 0.82, green: 0.19, blue: 0.17)
    static let gain = ChartColor(red: 0.12, green: 0.6, blue: 0.28)
}

/// One cairo image surface (ARGB32) and its drawing context: cairo draws, antialiases and encodes the
/// PNG; this only names the few operations the charts use. Coordinates in pixels, origin top left.
final class ChartCanvas {
    let width: Int
    let height: Int
    private let surface: OpaquePointer
    private let context: OpaquePointer

    init(width: Int, height: Int) throws(ChartError) {
        guard (100...4_000).contains(width), (100...4_000).contains(height) else {
            throw ChartError("a chart is 100 to 4000 pixels wide and high, not \(width)×\(height)")
        }
        self.width = width
        self.height = height
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height)) else {
            throw ChartError("cairo could not create a \(width)×\(height) image")
        }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let context = cairo_create(surface) else {
            let reason = String(cString: cairo_status_to_string(cairo_surface_status(surface)))
            cairo_surface_destroy(surface)
            throw ChartError("cairo could not create a \(width)×\(height) image: \(reason)")
        }
        self.surface = surface
        self.context = context
        cairo_select_font_face(context, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
        set(.background)
        cairo_paint(context)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    func set(_ color: ChartColor) { cairo_set_source_rgba(context, color.red, color.green, color.blue, color.alpha) }

    /// A polyline through `points`, stroked `width` pixels wide.
    /// A single point is drawn as a dot (a series of one value still shows).
    func stroke(_ points: [(x: Double, y: Double)], color: ChartColor, width: Double = 1.5, dashed: Bool = false) {
        guard let first = points.first else { return }
        guard points.count > 1 else { return circle(x: first.x, y: first.y, radius: max(width * 1.5, 3), color: color) }
        cairo_new_path(context)
        cairo_move_to(context, first.x, first.y)
        for point in points.dropFirst() { cairo_line_to(context, point.x, point.y) }
        set(color)
        cairo_set_line_width(context, width)
        if dashed {
            let pattern: [Double] = [4, 3]
            cairo_set_dash(context, pattern, 2, 0)
        }
        cairo_stroke(context)
        cairo_set_dash(context, nil, 0, 0)
    }

    /// Fills the closed polygon through `points`.
    func fill(_ points: [(x: Double, y: Double)], color: ChartColor) {
        guard let first = points.first else { return }
        cairo_new_path(context)
        cairo_move_to(context, first.x, first.y)
        for point in points.dropFirst() { cairo_line_to(context, point.x, point.y) }
        cairo_close_path(context)
        set(color)
        cairo_fill(context)
    }

    /// A circle of `radius` pixels, filled, or only outlined.
    func circle(x: Double, y: Double, radius: Double, color: ChartColor, filled: Bool = true) {
        cairo_new_path(context)
        cairo_arc(context, x, y, radius, 0, 2 * Double.pi)
        set(color)
        if filled {
            cairo_fill(context)
        } else {
            cairo_set_line_width(context, 1.5)
            cairo_stroke(context)
        }
    }

    enum Alignment { case left, center, right }

    /// `text` at (`x`, `y`: its baseline), `size` pixels high.
    func text(_ text: String, x: Double, y: Double, size: Double = 12, color: ChartColor = .ink, alignment: Alignment = .left, bold: Bool = false) {
        cairo_select_font_face(context, "sans-serif", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, size)
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, text, &extents)
        let left = switch alignment {
        case .left: x
        case .center: x - extents.x_advance / 2
        case .right: x - extents.x_advance
        }
        set(color)
        cairo_move_to(context, left, y)
        cairo_show_text(context, text)
    }

    /// The advance width of `text` in pixels at `size` pixels high.
    func textWidth(_ text: String, size: Double = 12, bold: Bool = false) -> Double {
        cairo_select_font_face(context, "sans-serif", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, size)
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, text, &extents)
        return extents.x_advance
    }

    /// How many pixels satisfy `matches` (red, green, blue, 0…255; the image is opaque): lets tests check what
    /// was drawn without decoding the PNG.
    func countPixels(where matches: (UInt8, UInt8, UInt8) -> Bool) -> Int {
        cairo_surface_flush(surface)
        guard let data = cairo_image_surface_get_data(surface) else { return 0 }
        let stride = Int(cairo_image_surface_get_stride(surface))
        var count = 0
        for row in 0..<height {
            for column in 0..<width {
                let pixel = UnsafeRawPointer(data).loadUnaligned(fromByteOffset: row * stride + column * 4, as: UInt32.self)  // native-endian ARGB
                if matches(UInt8(truncatingIfNeeded: pixel >> 16), UInt8(truncatingIfNeeded: pixel >> 8), UInt8(truncatingIfNeeded: pixel)) { count += 1 }
            }
        }
        return count
    }

    /// The image as PNG bytes, encoded by cairo into memory.
    func png() throws(ChartError) -> [UInt8] {
        cairo_surface_flush(surface)
        let status = cairo_status(context)
        guard status == CAIRO_STATUS_SUCCESS else { throw ChartError("cairo failed while drawing: \(String(cString: cairo_status_to_string(status)))") }
        final class Sink { var bytes: [UInt8] = [] }
        let sink = Sink()
        let written = cairo_surface_write_to_png_stream(surface, { closure, data, length in
            guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
            Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue().bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(sink).toOpaque())
        guard written == CAIRO_STATUS_SUCCESS else { throw ChartError("cairo could not encode the PNG: \(String(cString: cairo_status_to_string(written)))") }
        return withExtendedLifetime(sink) { sink.bytes }
    }
}
