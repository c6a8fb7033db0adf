import CreditKernel

/// Reads amounts as departments write them and stores them in the field's unit, exactly (six
/// decimal places, as the national template's decimal(18,6)).
enum AmountNormaliser {
    enum Outcome: Equatable {
        /// A plain number in the field's unit.
        case canonical(String)
        /// The text carried a unit, currency sign or thousands separators and was converted.
        case converted(String)
        case negative(String)
        case invalid
        /// More than six decimal places after conversion.
        case tooPrecise
    }

    /// Millionths: the template's precision.
    static let scale: Int64 = 1_000_000

    static func normalise(_ value: String, unit: AmountUnit) -> Outcome {
        // The usual case: a plain decimal number.
        if value.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }), let parsed = parse(Substring(value)) {
            return .canonical(format(parsed))
        }
        var text = Substring(value)
        var converted = false
        var currency = false
        for prefix in ["人民币", "¥", "￥", "RMB"] where text.hasPrefix(prefix) {
            text = text.dropFirst(prefix.count)
            converted = true
            currency = true
        }
        // 整 ("exactly") ends an amount written formally (2000元整); amounts in words (贰仟元整) are not read.
        if text.hasSuffix("整") {
            text = text.dropLast()
            converted = true
        }
        // The unit written after the number, in the field's unit or another; a currency sign or
        // 人民币 without one is an amount in 元 (¥ is the sign for 元).
        var factorNumerator: Int64 = 1
        var factorDenominator: Int64 = 1
        if text.hasSuffix("亿元") || text.hasSuffix("亿") {
            text = text.dropLast(text.hasSuffix("亿元") ? 2 : 1)
            converted = true
            factorNumerator = unit == .yuan ? 100_000_000 : 10_000
        } else if text.hasSuffix("万元") || text.hasSuffix("万") {
            text = text.dropLast(text.hasSuffix("万元") ? 2 : 1)
            converted = true
            if unit == .yuan { factorNumerator = 10_000 }
        } else if text.hasSuffix("元") || currency {
            if text.hasSuffix("元") { text = text.dropLast() }
            converted = true
            if unit == .tenThousandYuan { factorDenominator = 10_000 }
        }
        text = Substring(TextNormalisation.trim(String(text)))
        if text.contains(",") {
            text = Substring(text.filter { $0 != "," })
            converted = true
        }
        guard let parsed = parse(text) else { return .invalid }
        let scaled = parsed.multipliedReportingOverflow(by: factorNumerator)
        guard !scaled.overflow else { return .invalid }
        guard scaled.partialValue % factorDenominator == 0 else { return .tooPrecise }
        let result = scaled.partialValue / factorDenominator
        let formatted = format(result)
        if result < 0 { return .negative(formatted) }
        return converted ? .converted(formatted) : .canonical(formatted)
    }

    /// `millionths` of `from` in millionths of `to`; nil when that needs more than six decimals
    /// or overflows.
    static func convert(_ millionths: Int64, from: AmountUnit, to: AmountUnit) -> Int64? {
        switch (from, to) {
        case (.yuan, .tenThousandYuan):
            return millionths % 10_000 == 0 ? millionths / 10_000 : nil
        case (.tenThousandYuan, .yuan):
            let scaled = millionths.multipliedReportingOverflow(by: 10_000)
            return scaled.overflow ? nil : scaled.partialValue
        default:
            return millionths
        }
    }

    /// Whether the bytes are a non-negative number exactly as `format` writes it: no sign, no
    /// leading zeros, no trailing fractional zeros, at most six decimals.
    static func isCanonical(_ bytes: UnsafeBufferPointer<UInt8>, allowFraction: Bool) -> Bool {
        let point = bytes.firstIndex(of: UInt8(ascii: "."))
        let whole = bytes[..<(point ?? bytes.count)]
        guard !whole.isEmpty, whole.count <= 12, whole.allSatisfy(TextNormalisation.isDigit), whole.count == 1 || whole.first != UInt8(ascii: "0") else { return false }
        guard let point else { return true }
        let fraction = bytes[(point + 1)...]
        return allowFraction && (1...6).contains(fraction.count) && fraction.allSatisfy(TextNormalisation.isDigit) && fraction.last != UInt8(ascii: "0")
    }

    /// A decimal number as millionths; nil if not a number or more precise than that.
    static func parse(_ text: Substring) -> Int64? {
        parse(bytes: text.utf8)
    }

    /// `parse` on UTF-8 bytes, read in place.
    static func parse<Bytes: Collection<UInt8>>(bytes: Bytes) -> Int64? {
        var utf8 = bytes[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative || utf8.first == UInt8(ascii: "+") { utf8 = utf8.dropFirst() }
        guard !utf8.isEmpty else { return nil }
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var seenPoint = false
        var digits = 0
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            digits += 1
            let digit = Int64(byte - 0x30)
            if seenPoint {
                fractionDigits += 1
                if fractionDigits > 6 {
                    guard digit == 0 else { return nil }
                    continue
                }
                fraction = fraction * 10 + digit
            } else {
                guard whole < 1_000_000_000_000 else { return nil }
                whole = whole * 10 + digit
            }
        }
        guard digits > 0 else { return nil }
        for _ in min(fractionDigits, 6)..<6 { fraction *= 10 }
        let value = whole * scale + fraction
        return negative ? -value : value
    }

    static func format(_ millionths: Int64) -> String {
        let negative = millionths < 0
        let magnitude = millionths.magnitude
        let whole = magnitude / UInt64(scale)
        var fraction = magnitude % UInt64(scale)
        var text = (negative ? "-" : "") + String(whole)
        guard fraction > 0 else { return text }
        var digits = 6
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let fractionText = String(fraction)
        text += "." + String(repeating: "0", count: digits - fractionText.count) + fractionText
        return text
    }
}
