import CreditKernel

/// Every issue the rules raise, with its Chinese and English message, in one place so wording
/// stays consistent and docs/receipts.md can list them.
enum IssueMessages {
    static func required(_ field: FieldDefinition) -> Issue {
        Issue(field: field.id, code: .required, message: "「\(field.label)」为必填项，不能为空", messageEnglish: "\(field.id) (\(field.label)) is required")
    }

    static func conditionalRequired(_ field: FieldDefinition, because condition: FieldCondition, label: String, value: String) -> Issue {
        Issue(
            field: field.id, code: .conditionalRequired,
            message: "「\(label)」为「\(value)」时，「\(field.label)」必填",
            messageEnglish: "\(field.id) (\(field.label)) is required when \(condition.field) is \(value)"
        )
    }

    static func length(_ field: FieldDefinition, length: Int, maximum: Int) -> Issue {
        Issue(
            field: field.id, code: .length, message: "「\(field.label)」长度为 \(length) 个字符，超过上限 \(maximum)",
            messageEnglish: "\(field.id) is \(length) characters long; at most \(maximum) are allowed"
        )
    }

    static func notADate(_ field: FieldDefinition, _ value: String) -> Issue {
        Issue(
            field: field.id, code: .type, message: "「\(field.label)」不是有效日期：\(value)（应为 YYYY/MM/DD）",
            messageEnglish: "\(field.id) is not a valid date: \(value) (expected YYYY/MM/DD)"
        )
    }

    static func notANumber(_ field: FieldDefinition, _ value: String, unit: String?) -> Issue {
        let unitText = unit.map { "（单位：\($0)）" } ?? ""
        return Issue(
            field: field.id, code: .type, message: "「\(field.label)」不是有效数字\(unitText)：\(value)",
            messageEnglish: "\(field.id) is not a valid number\(unit.map { " (unit: \($0))" } ?? ""): \(value)"
        )
    }

    static func tooPrecise(_ field: FieldDefinition, _ value: String) -> Issue {
        Issue(
            field: field.id, code: .type, message: "「\(field.label)」精度超过 6 位小数：\(value)",
            messageEnglish: "\(field.id) has more than six decimal places: \(value)"
        )
    }

    static func negative(_ field: FieldDefinition, _ value: String) -> Issue {
        Issue(
            field: field.id, code: .negativeAmount, message: "「\(field.label)」不能为负数：\(value)",
            messageEnglish: "\(field.id) must not be negative: \(value)"
        )
    }

    static func notInCodeList(_ field: FieldDefinition, _ value: String, list: CodeList) -> Issue {
        let allowed = list.values.prefix(8).map(\.value).joined(separator: "、")
        return Issue(
            field: field.id, code: .codeList, message: "「\(field.label)」的值「\(value)」不在代码表中（可选：\(allowed)…）",
            messageEnglish: "\(field.id) value '\(value)' is not in its code list"
        )
    }

    /// A code that is not one; `shown` is what the message may repeat of `value` (nothing of a
    /// sensitive field's). A code Excel kept as a number says so, since the fix is in Excel.
    static func malformedCode(_ field: FieldDefinition, _ value: String, shown: String, expected: String, expectedEnglish: String) -> Issue {
        if isScientificNotation(value) {
            let (asShown, asShownEnglish) = shown == value ? ("显示为 \(value)，", "shown as \(value); ") : ("", "")
            return Issue(
                field: field.id, code: .type,
                message: "「\(field.label)」被 Excel 当作数字保存（\(asShown)末几位已丢失）：请在 Excel 中将该列设为“文本”格式，再从原系统重新导出或重新录入",
                messageEnglish: "\(field.id) was kept by Excel as a number (\(asShownEnglish)its last digits are lost): format the column as Text in Excel, then export or type the codes again"
            )
        }
        return Issue(
            field: field.id, code: .type, message: "「\(field.label)」格式错误：\(shown)（\(expected)）",
            messageEnglish: "\(field.id) is malformed: \(shown) (\(expectedEnglish))"
        )
    }

    /// `3.30106E+17`, `9.13301199001011E+17`: how Excel shows, and writes to CSV, a long number in a
    /// cell formatted as General; an 18-digit ID number or credit code typed there keeps only 15 digits.
    static func isScientificNotation(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard let exponent = bytes.firstIndex(where: { $0 == UInt8(ascii: "E") || $0 == UInt8(ascii: "e") }), exponent > 0 else { return false }
        let mantissa = bytes[..<exponent]
        var digits = bytes[(exponent + 1)...]
        if digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
        let isDigit = { (byte: UInt8) in byte >= 0x30 && byte <= 0x39 }
        guard !digits.isEmpty, digits.allSatisfy(isDigit), let first = mantissa.first, isDigit(first) else { return false }
        let fraction = mantissa.dropFirst()
        return fraction.isEmpty || (fraction.first == UInt8(ascii: ".") && fraction.count > 1 && fraction.dropFirst().allSatisfy(isDigit))
    }

    static func excelErrorValue(_ field: FieldDefinition, _ value: String) -> Issue {
        Issue(
            field: field.id, code: .type,
            message: "「\(field.label)」是 Excel 公式的错误值 \(value)，不是数据：请在 Excel 中修正公式，或复制后“选择性粘贴—数值”再提交",
            messageEnglish: "\(field.id) holds Excel's error value \(value), left by a formula that failed: fix the formula in Excel, or paste the values only, and submit again"
        )
    }

    static func checksum(_ field: FieldDefinition, standard: String, found: Character, expected: Character) -> Issue {
        Issue(
            field: field.id, code: .checksum,
            message: "「\(field.label)」校验位错误（\(standard)）：应为 \(expected)，实为 \(found)",
            messageEnglish: "\(field.id) fails its \(standard) check: check character is \(found), expected \(expected)"
        )
    }

    static func embeddedOrganisationCode(_ field: FieldDefinition) -> Issue {
        Issue(
            field: field.id, code: .checksum, message: "「\(field.label)」第 9–17 位组织机构代码校验位错误（GB 11714）",
            messageEnglish: "\(field.id): the organisation code in positions 9–17 fails its GB 11714 check"
        )
    }

    static func birthDate(_ field: FieldDefinition, _ birth: String) -> Issue {
        Issue(
            field: field.id, code: .checksum, message: "「\(field.label)」中的出生日期 \(birth) 不是有效日期（GB 11643）",
            messageEnglish: "\(field.id) holds an impossible birth date \(birth) (GB 11643)"
        )
    }

    static func dateOrder(earlier: FieldDefinition, later: FieldDefinition, earlierValue: String, laterValue: String) -> Issue {
        Issue(
            field: later.id, code: .dateOrder,
            message: "「\(later.label)」(\(laterValue)) 早于「\(earlier.label)」(\(earlierValue))",
            messageEnglish: "\(later.id) (\(laterValue)) is before \(earlier.id) (\(earlierValue))"
        )
    }

    static func futureDate(_ field: FieldDefinition, _ value: String, today: CalendarDate) -> Issue {
        Issue(
            field: field.id, code: .futureDate, message: "「\(field.label)」(\(value)) 晚于今天 (\(today))",
            messageEnglish: "\(field.id) (\(value)) is after today (\(today))"
        )
    }

    static func placeholderNotAllowed(_ field: FieldDefinition, value: String, condition: FieldCondition, label: String) -> Issue {
        Issue(
            field: field.id, code: .placeholder,
            message: "占位代码 \(value) 仅限「\(label)」为「\(condition.anyOf.joined(separator: "、"))」时使用",
            messageEnglish: "the placeholder \(value) in \(field.id) is allowed only when \(condition.field) is \(condition.anyOf.joined(separator: " or "))"
        )
    }

    static func placeholderCompanion(_ field: FieldDefinition, placeholderField: FieldDefinition) -> Issue {
        Issue(
            field: field.id, code: .placeholder,
            message: "「\(placeholderField.label)」填写占位代码时，「\(field.label)」必填",
            messageEnglish: "\(field.id) is required when \(placeholderField.id) holds the placeholder code"
        )
    }

    static func amountMismatch(_ field: FieldDefinition, value: String, textField: FieldDefinition, yuan: String, expected: String) -> Issue {
        Issue(
            field: field.id, code: .amountMismatch,
            message: "「\(field.label)」单位为万元：「\(textField.label)」写明 \(yuan) 元，应填 \(expected)，实填 \(value)",
            messageEnglish: "\(field.id) is in 万元: \(textField.id) says \(yuan) 元, so it should be \(expected), not \(value)"
        )
    }

    static func encoding(_ field: FieldDefinition?) -> Issue {
        Issue(
            field: field?.id, code: .encoding,
            message: "存在无法识别的字符（文件编码错误），请以 UTF-8 或 GB18030 保存后重新提交",
            messageEnglish: "contains characters that could not be decoded; save the file as UTF-8 or GB18030 and submit again"
        )
    }

    /// Columns are named by position (1-based) and header, not by value: one of them may be a
    /// resident ID number, which a receipt does not repeat.
    static func conflictingColumns(_ field: FieldDefinition, first: (column: Int, header: String), second: (column: Int, header: String)) -> Issue {
        Issue(
            field: field.id, code: .conflictingColumns,
            message: "「\(field.label)」在第 \(first.column + 1) 列（\(first.header)）和第 \(second.column + 1) 列（\(second.header)）的值不一致，无法确定以哪列为准；请只保留一列后重新提交",
            messageEnglish: "\(field.id) is given by column \(first.column + 1) (\(first.header)) and column \(second.column + 1) (\(second.header)), which disagree in this row; keep one of the columns and submit again"
        )
    }

    static func extraCells(count: Int, columns: Int) -> Issue {
        Issue(
            field: nil, code: .extraCells, message: "本行有 \(count) 列，多于表头的 \(columns) 列",
            messageEnglish: "the row has \(count) cells but the header has \(columns) columns"
        )
    }

    /// A row that ends before the columns of `absent`, required fields: one issue rather than one
    /// per field, so a file of broken short lines does not store a dozen issues per line.
    static func missingCells(count: Int, columns: Int, absent: [FieldDefinition]) -> Issue {
        let named = absent.prefix(3)
        let more = absent.count - named.count
        return Issue(
            field: nil, code: .missingCells,
            message: "本行只有 \(count) 列，少于表头的 \(columns) 列，缺少必填项"
                + named.map { "「\($0.label)」" }.joined(separator: "、") + (more > 0 ? " 等 \(absent.count) 项" : ""),
            messageEnglish: "the row has \(count) \(count == 1 ? "cell" : "cells") but the header has \(columns) columns; required "
                + named.map(\.id).joined(separator: ", ") + (more > 0 ? " and \(more) more" : "") + " missing"
        )
    }

    static let unclosedQuote = Issue(
        field: nil, code: .unclosedQuote,
        message: "本行有一个英文引号（\"）开始的单元格没有闭合引号，已把它当作普通字符读取；请删除多余的引号或补上闭合引号后重新提交",
        messageEnglish: "a cell in this row opens with a quote (\") that is never closed; it was read as text — remove the stray quote or close it and submit again"
    )

    static let recordTooLong = Issue(
        field: nil, code: .recordTooLong,
        message: "本行超过 \(DecodingLimits.maximumRecordBytes >> 20) MiB，远超任何一条记录的长度（文件可能已损坏，或不是所选格式），已整行跳过；请检查该行后重新提交",
        messageEnglish: "the row is longer than \(DecodingLimits.maximumRecordBytes >> 20) MiB, far beyond any record (the file may be damaged or not in the format given); it was skipped whole — check it and submit again"
    )

    static func invalidJSON(_ excerpt: String) -> Issue {
        Issue(field: nil, code: .type, message: "不是有效的 JSON 对象：\(excerpt)", messageEnglish: "not a valid JSON object: \(excerpt)")
    }

    static func nestedValue(_ field: FieldDefinition) -> Issue {
        Issue(
            field: field.id, code: .type, message: "「\(field.label)」应为单个值（文本或数字），不能是 JSON 对象或数组",
            messageEnglish: "\(field.id) (\(field.label)) must be one value, text or a number, not a JSON object or array"
        )
    }

    // MARK: - Fixes

    static func fixed(_ field: FieldDefinition, _ what: String, _ whatEnglish: String, original: String, value: String) -> Issue {
        Issue(
            field: field.id, code: .normalised, message: "「\(field.label)」\(what)",
            messageEnglish: "\(field.id): \(whatEnglish)",
            original: field.sensitive ? nil : original, value: field.sensitive ? nil : value
        )
    }
}
