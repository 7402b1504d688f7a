/// Exact decimal text for the exchange: a value snapped to a step (tick or size step) and printed with
/// exactly the step's decimals, computed in integers so 0.1 + 0.2 never prints as 0.30000000000000004.
public enum DecimalText {
    public enum Rounding: Sendable { case down, nearest, up }

    /// `value` as a multiple of `step`, e.g. (0.29789, 0.001, .down) → "0.297", (30123.45, 0.1) → "30123.5".
    public static func format(_ value: Double, step: Double, rounding: Rounding = .nearest) -> String {
        let (stepUnits, decimals) = integerStep(step)
        var scale: Double = 1
        for _ in 0..<decimals { scale *= 10 }
        let units = value * scale / Double(stepUnits)
        let multiple: Double = switch rounding {
        case .down: (units + 1e-9).rounded(.down)
        case .up: (units - 1e-9).rounded(.up)
        case .nearest: units.rounded()
        }
        let scaled = Int64(multiple) * stepUnits
        return insertPoint(scaled, decimals: decimals)
    }

    /// The number of decimals of `step` and the step in those units (0.001 → (1, 3); 0.5 → (5, 1)).
    static func integerStep(_ step: Double) -> (Int64, Int) {
        var decimals = 0
        var scaled = step
        while (scaled - scaled.rounded()).magnitude > 1e-9 * max(1, scaled) && decimals < 12 {
            scaled *= 10
            decimals += 1
        }
        return (Int64(scaled.rounded()), decimals)
    }

    static func insertPoint(_ value: Int64, decimals: Int) -> String {
        guard decimals > 0 else { return String(value) }
        let negative = value < 0
        var digits = String(value.magnitude)
        while digits.count <= decimals { digits = "0" + digits }
        digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
        return negative ? "-" + digits : digits
    }
}

extension ContractSpec {
    /// An order size as the exchange wants it: rounded down to the size step, exact decimal text.
    public func sizeText(_ size: Double) -> String { DecimalText.format(size, step: sizeStep, rounding: .down) }
    /// A price on the tick, exact decimal text.
    public func priceText(_ price: Double, rounding: DecimalText.Rounding = .nearest) -> String {
        DecimalText.format(price, step: tickSize, rounding: rounding)
    }
}
