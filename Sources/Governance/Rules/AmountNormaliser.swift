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
        // 整 ("exactly") ends an amount written formally: 2000元整, 贰仟元整.
        if text.hasSuffix("整") {
            text = text.dropLast()
            converted = true
        }
        // In words, as a decision states it (贰仟元整, 壹万伍仟元, 伍角): in 元 when it says so.
        if text.unicodeScalars.contains(where: { TextNormalisation.chineseDigits[$0] != nil || numeralUnits[$0] != nil }) {
            guard let yuan = wordsAmount(text) else { return .invalid }
            return convert(yuan, from: .yuan, to: unit)
        }
        // The unit written after the number, in the field's unit or another; a currency sign or
        // 人民币 without one is an amount in 元 (¥ is the sign for 元); 亿 is ten thousand 万.
        var written: AmountUnit?
        var hundredMillions = false
        if text.hasSuffix("亿元") || text.hasSuffix("亿") {
            text = text.dropLast(text.hasSuffix("亿元") ? 2 : 1)
            (written, hundredMillions) = (.tenThousandYuan, true)
        } else if text.hasSuffix("万元") || text.hasSuffix("万") {
            text = text.dropLast(text.hasSuffix("万元") ? 2 : 1)
            written = .tenThousandYuan
        } else if text.hasSuffix("元") || currency {
            if text.hasSuffix("元") { text = text.dropLast() }
            written = .yuan
        }
        text = Substring(TextNormalisation.trim(String(text)))
        if text.contains(",") {
            text = Substring(text.filter { $0 != "," })
            converted = true
        }
        guard var parsed = parse(text) else { return .invalid }
        if hundredMillions {
            let scaled = parsed.multipliedReportingOverflow(by: 10_000)
            guard !scaled.overflow else { return .invalid }
            parsed = scaled.partialValue
        }
        let outcome = convert(parsed, from: written ?? unit, to: unit)
        // Nothing was written beside the number: it was already in the field's form.
        guard written == nil, !converted, case .converted(let number) = outcome else { return outcome }
        return .canonical(number)
    }

    /// `millionths` of an amount written in `written`, in the field's `unit`: converted, negative,
    /// more precise than six decimals, or too large.
    static func convert(_ millionths: Int64, from written: AmountUnit, to unit: AmountUnit) -> Outcome {
        var value = millionths
        switch (written, unit) {
        case (.yuan, .tenThousandYuan):
            guard value % 10_000 == 0 else { return .tooPrecise }
            value /= 10_000
        case (.tenThousandYuan, .yuan):
            let scaled = value.multipliedReportingOverflow(by: 10_000)
            guard !scaled.overflow else { return .invalid }
            value = scaled.partialValue
        default:
            break
        }
        return value < 0 ? .negative(format(value)) : .converted(format(value))
    }

    static let numeralUnits: [Unicode.Scalar: Int64] = ["拾": 10, "十": 10, "佰": 100, "百": 100, "仟": 1000, "千": 1000]

    /// An amount in Chinese numerals, financial (贰仟) or common (两千), with 万 and 亿 and, after
    /// 元, 角 and 分: its millionths of a 元. Nil for anything else, and for numerals without 元, 角
    /// or 分, whose unit they do not say.
    static func wordsAmount(_ text: Substring) -> Int64? {
        // Longer than any amount in words, and short enough that no sum below can overflow.
        guard text.unicodeScalars.count <= 32 else { return nil }
        var hundredMillions: Int64 = 0
        var tenThousands: Int64 = 0
        var section: Int64 = 0
        var digit: Int64?
        var whole: Int64?
        var fraction: Int64 = 0
        var place = 0
        for scalar in text.unicodeScalars {
            if let value = TextNormalisation.chineseDigits[scalar] {
                // Digits do not follow each other, but for 零 holding a place (贰仟零伍拾).
                guard digit == nil || digit == 0 || value == 0 else { return nil }
                digit = value
            } else if let unit = numeralUnits[scalar], whole == nil {
                // 拾 alone is ten (拾万: one hundred thousand).
                guard let value = digit ?? (unit == 10 ? 1 : nil) else { return nil }
                section += value * unit
                digit = nil
            } else if scalar == "万", whole == nil {
                // Once in each group of 亿, after a number: 伍万叁万 and 亿万 are no amounts.
                guard tenThousands == 0, section + (digit ?? 0) > 0 else { return nil }
                tenThousands = (section + (digit ?? 0)) * 10_000
                section = 0
                digit = nil
            } else if scalar == "亿", whole == nil {
                guard hundredMillions == 0, tenThousands + section + (digit ?? 0) > 0 else { return nil }
                hundredMillions = (tenThousands + section + (digit ?? 0)) * 100_000_000
                tenThousands = 0
                section = 0
                digit = nil
            } else if scalar == "元" || scalar == "圆", whole == nil {
                whole = hundredMillions + tenThousands + section + (digit ?? 0)
                digit = nil
            } else if scalar == "角" || scalar == "分", whole != nil, let value = digit {
                let next = scalar == "角" ? 1 : 2
                guard next > place else { return nil }
                fraction += value * (next == 1 ? 100_000 : 10_000)
                place = next
                digit = nil
            } else {
                return nil
            }
        }
        guard let whole, digit == nil || digit == 0, whole < 1_000_000_000_000 else { return nil }
        return whole * scale + fraction
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
