import CreditKernel
import Foundation

/// 行政处罚 rows for pipeline tests: a valid baseline and the units involved.
public enum PenaltyRows {
    public static let submitter = SampleCodes.uscc(organisationBody: "00250198", prefix: "11")
    public static let company = SampleCodes.uscc()
    public static let authority = SampleCodes.uscc(organisationBody: "00250198", prefix: "11")
    public static let dataBureau = SampleCodes.uscc(organisationBody: "00250199", prefix: "11")
    public static let otherBureau = SampleCodes.uscc(organisationBody: "00250200", prefix: "11")

    public static let valid: [String: String] = [
        "CF_XDR_MC": "杭州某某科技有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": company,
        "CF_FRDB": "张三",
        "CF_WSH": "杭市监罚〔2023〕12号",
        "CF_WFXW": "虚假宣传",
        "CF_SY": "当事人在其网店发布虚假广告，\n销售额 3,000 元。",
        "CF_YJ": "《中华人民共和国反不正当竞争法》第二十条",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款2000元",
        "CF_NR_FK": "0.2",
        "CF_JDRQ": "2023/05/06",
        "CF_YXQ": "2024/05/06",
        "CF_CFJG": "杭州市市场监督管理局",
        "CF_CFJGDM": authority,
        "CF_SJLY": "杭州市数据资源管理局",
        "CF_SJLYDM": dataBureau,
    ]

    /// The penalty template's columns, by Chinese label, as a department's CSV has them.
    public static var header: [String] {
        Catalogue.standard.resource("admin_penalty")!.fields.map(\.label)
    }

    /// One CSV line of `header` order for a record.
    public static func cells(_ record: [String: String]) -> [String] {
        Catalogue.standard.resource("admin_penalty")!.fields.map { record[$0.id] ?? "" }
    }

    /// CSV text (CRLF, quoted where needed) for rows of records.
    public static func csv(_ records: [[String: String]], instructionRow: Bool = false) -> String {
        var lines: [[String]] = []
        if instructionRow { lines.append(["表格说明：带 * 为必填项，日期格式为 YYYY/MM/DD"]) }
        lines.append(header)
        lines += records.map(cells)
        return lines.map { $0.map(quote).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    public static func quote(_ cell: String) -> String {
        cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
    }

    /// A variant of the valid record with another document number (another fact).
    public static func record(_ number: Int, _ changes: [String: String?] = [:]) -> [String: String] {
        var record = valid
        record["CF_WSH"] = "杭市监罚〔2023〕\(number)号"
        for (key, value) in changes { record[key] = value }
        return record
    }
}
