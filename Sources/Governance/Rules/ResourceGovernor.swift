import Crypto
import CreditKernel
import Foundation

/// One data row after governance: normalised values and the findings, plus what the store needs
/// to place it (business key, subject, source, hashes).
///
/// A class: a row passes through several collections on its way to the store, and copying it
/// would retain each of its strings every time.
public final class GovernedRow: Sendable {
    /// 1-based position among the data rows.
    public let position: Int
    /// `accepted`, `fixed` or `rejected`; duplicates and conflicts are decided against the store.
    public let status: RowStatus
    /// Errors for a rejected row; what was fixed for a fixed row.
    public let issues: [Issue]
    /// The cells as submitted, in the file's column order, for the rejected-rows download; empty
    /// for accepted rows, whose normalised values travel on as their JSON body alone (`dataJSON`):
    /// a chunk stays in memory until it is written, and keeping the values as cells too was about
    /// a sixth of a large ingest's peak memory.
    public let original: TextRow
    public let subjectName: String
    /// The resource's dated event (decision date), for the theme projection and timeliness.
    public let eventDate: String?
    /// Every required and conditionally required value is present.
    public let complete: Bool
    /// No type, code, check-character or cross-field error.
    public let valid: Bool
    /// Collected within the resource's timeliness window; nil when the resource has none or the row no date.
    public let timely: Bool?
    /// Who the record is about and where it comes from; nil for a rejected row.
    let identity: RowIdentity?

    init(
        position: Int, status: RowStatus, issues: [Issue], original: TextRow, subjectName: String, eventDate: String?, complete: Bool,
        valid: Bool, timely: Bool?, identity: RowIdentity?
    ) {
        self.position = position
        self.status = status
        self.issues = issues
        self.original = original
        self.subjectName = subjectName
        self.eventDate = eventDate
        self.complete = complete
        self.valid = valid
        self.timely = timely
        self.identity = identity
    }

    // What follows is empty (zero hashes) for a rejected row, which is never placed in the store.
    public var businessKey: String { identity?.businessKey ?? "" }
    public var subjectCode: String { identity?.subjectCode ?? "" }
    public var subjectType: SubjectType? { identity?.subjectType }
    /// The unit the record comes from: the row's data-source unit field, else the submitter.
    public var sourceUnit: String { identity?.sourceUnit ?? "" }
    /// Hash of resource and business key: the store's lookup key.
    public var keyHash: Digest128 { identity?.keyHash ?? Digest128(high: 0, low: 0) }
    /// Hash of the normalised content: equal content, equal hash.
    public var contentHash: Digest128 { identity?.contentHash ?? Digest128(high: 0, low: 0) }
    /// The normalised record as a JSON object of field id → value (empty values left out), UTF-8;
    /// empty when the governor omits record bodies.
    public var dataJSON: [UInt8] { identity?.dataJSON ?? [] }

    /// The cells as submitted.
    public var originalCells: [String] { original.cells }
}

/// What one data, one source needs of an accepted row.
struct RowIdentity: Sendable {
    var businessKey: String
    var subjectCode: String
    var subjectType: SubjectType?
    var sourceUnit: String
    var keyHash: Digest128
    var contentHash: Digest128
    var dataJSON: [UInt8]
}

/// How the members of JSON records with one list of keys map to fields, kept by whoever governs a
/// run of records: a provider's records nearly always have the same keys in the same order, and
/// sorting and looking up keys (Chinese labels hash slowly) cost more than governing the values.
public struct JSONKeyLayout: Sendable {
    /// The keys, unescaped, in document order.
    let keys: TextRow
    /// Members of known keys with their fields, in the order members count.
    let fields: [(member: Int, field: Int)]
    let unknownKeys: Set<String>
    let invalidJSONMembers: [Int]
}

/// Applies a resource's catalogue rules to rows: normalise what can be fixed, say what was fixed,
/// reject what cannot be, and compute what one-data-one-source needs.
///
/// The catalogue is compiled once into index-based fields and rules, so governing a row touches
/// no dictionaries keyed by field id and copies no field definitions; the definitions are read
/// only to word an issue.
public struct ResourceGovernor: Sendable {
    /// Whether governed rows carry the record body the store keeps.
    public enum RecordBodies: Sendable {
        /// `dataJSON` is written, and the content hash is taken over it: what the pipeline stores.
        case written
        /// No body: validation stores nothing and compares a file's rows only with each other, so
        /// the content hash is taken over the normalised cells directly (equal cells, equal hash,
        /// as with the body), saving about a tenth of its time.
        case omitted
    }

    public let resource: Resource
    public let today: CalendarDate
    /// How date serial numbers count days in what is being governed (see `RecordSource.dateSystem`).
    public var dateSystem: ExcelDateSystem = .from1900
    public let recordBodies: RecordBodies
    let fields: [FieldDefinition]
    let compiled: [CompiledField]
    let rules: [CompiledRule]
    let matcher: HeaderMatcher
    let keyIndexes: [Int]
    let requiredIndexes: [Int]
    let subjectCodeIndexes: [Int]
    let subjectNameIndex: Int?
    let subjectTypeIndex: Int?
    /// Subject type values as UTF-8 (compared bytewise: hashing Chinese strings costs a normalisation).
    let subjectTypes: [(value: [UInt8], type: SubjectType)]
    let sourceUnitIndex: Int?
    let eventDateIndex: Int?
    let resourceKeyPrefix: [UInt8]
    /// `"FIELD_ID":` for each field, ready to append to a record's JSON: one buffer, sliced by
    /// `jsonKeyEnds`, so writing a record retains nothing per field.
    let jsonKeys: [UInt8]
    let jsonKeyEnds: [Int]

    public init(resource: Resource, today: CalendarDate = .today(), recordBodies: RecordBodies = .written) {
        self.resource = resource
        self.today = today
        self.recordBodies = recordBodies
        fields = resource.fields
        matcher = HeaderMatcher(fields: resource.fields)
        let indexByID = Dictionary(resource.fields.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        var placeholders: [Int: String] = [:]
        for rule in resource.rules {
            if case .placeholder(_, let field, let value, _, _) = rule, let index = indexByID[field] { placeholders[index] = value }
        }
        compiled = resource.fields.enumerated().map { index, field in
            CompiledField(
                type: field.type,
                maximumLength: field.maximumLength,
                multipleValues: field.multipleValues,
                codeList: field.codeList.flatMap { resource.codeLists[$0] }.map(CompiledCodeList.init),
                documentTypeIndex: field.documentTypeField.flatMap { indexByID[$0] },
                placeholder: placeholders[index],
                unit: field.unit ?? .tenThousandYuan
            )
        }
        rules = resource.rules.compactMap { CompiledRule($0, indexByID: indexByID) }
        keyIndexes = resource.businessKey.fields.compactMap { indexByID[$0] }
        requiredIndexes = resource.fields.indices.filter { resource.fields[$0].required }
        subjectCodeIndexes = resource.subject.codeFields.compactMap { indexByID[$0] }
        subjectNameIndex = indexByID[resource.subject.nameField]
        subjectTypeIndex = resource.subject.typeField.flatMap { indexByID[$0] }
        subjectTypes = resource.subject.typeValues.map { (Array($0.key.utf8), $0.value) }
        sourceUnitIndex = resource.sourceUnitField.flatMap { indexByID[$0] }
        eventDateIndex = resource.timeliness.flatMap { indexByID[$0.dateField] }
        resourceKeyPrefix = Digest128.businessKeyPrefix(resourceID: resource.id)
        var jsonKeys: [UInt8] = []
        var jsonKeyEnds: [Int] = []
        for field in resource.fields {
            JSONText.appendString(field.id, to: &jsonKeys)
            jsonKeys.append(UInt8(ascii: ":"))
            jsonKeyEnds.append(jsonKeys.count)
        }
        self.jsonKeys = jsonKeys
        self.jsonKeyEnds = jsonKeyEnds
    }

    // MARK: - Headers

    /// The mapping if `cells` are this resource's header row.
    public func headerMapping(_ cells: [String]) -> HeaderMapping? {
        matcher.mapping(for: cells, fields: fields)
    }

    /// Required fields a header has no column for and no rule fills from a column it has: every
    /// row of such a file would be rejected for each of them.
    public func requiredFieldsWithoutColumn(_ mapping: HeaderMapping) -> [FieldDefinition] {
        let present = Set(mapping.columnFields.compactMap { $0 })
        var filled: Set<Int> = []
        for case .fillFrom(let target, let source) in rules where present.contains(source) {
            filled.insert(target)
        }
        return requiredIndexes.filter { !present.contains($0) && !filled.contains($0) }.map { fields[$0] }
    }

    /// Whether a row is a template instruction (表格说明 / 填表说明) rather than data.
    public static func isInstructionRow(_ row: TextRow) -> Bool {
        guard let column = (0..<row.count).first(where: { !row.cellIsEmpty($0) }) else { return false }
        // Every marker starts with 表 (E8 A1 A8) or 填 (E5 A1 AB): skip the string work otherwise.
        let lead = row.withCell(column) { $0.first ?? 0 }
        guard lead == 0xE8 || lead == 0xE5 || lead <= 0x20 || lead == 0xE3 else { return false }
        let text = TextNormalisation.trim(row.cell(column))
        if text.isEmpty, column + 1 < row.count {
            return isInstructionRow(TextRow(cells: Array(row.cells.dropFirst(column + 1))))
        }
        return text.hasPrefix("表格说明") || text.hasPrefix("填表说明") || text.hasPrefix("填报说明")
    }

    public static func isInstructionRow(_ cells: [String]) -> Bool {
        isInstructionRow(TextRow(cells: cells))
    }

    /// Whether a row is a form's sign-off or total (制表人、审核人、合计…), as government exports end,
    /// rather than a record: at most three cells, the first naming what it is. A record has far
    /// more cells, so counting them first keeps the common row from any string work.
    public static func isFooterRow(_ row: TextRow) -> Bool {
        var first: Int?
        var filled = 0
        for column in 0..<row.count where !row.cellIsEmpty(column) {
            filled += 1
            if filled > 3 { return false }
            if first == nil { first = column }
        }
        guard let first else { return false }
        let text = TextNormalisation.trim(row.cell(first))
        return footerMarkers.contains { text.hasPrefix($0) }
    }

    public static func isFooterRow(_ cells: [String]) -> Bool {
        isFooterRow(TextRow(cells: cells))
    }

    static let footerMarkers = [
        "制表", "填表人", "填报人", "填报日期", "填报单位", "审核", "审批人", "负责人", "单位负责人", "联系人", "联系电话", "经办人", "统计人", "合计", "总计", "盖章", "（盖章）",
    ]

    public static func isBlank(_ cells: [String]) -> Bool {
        TextRow(cells: cells).isBlank
    }

    // MARK: - Rows

    /// Governs one positional row mapped by `mapping`.
    /// - Parameter shortRowIsCut: whether a row with fewer cells than the header was cut short (a
    ///   line of delimited text broken off), so that the required fields past its end are reported
    ///   together as `missing_cells`; false for a spreadsheet, which leaves out empty cells at a
    ///   row's end, so that each is `required` as if its cell were there and empty.
    public func govern(
        row: TextRow, mapping: HeaderMapping, position: Int, submittingUnit: String, damagedText: Bool = false, shortRowIsCut: Bool = true
    ) -> GovernedRow {
        var issues: [Issue] = []
        let columns = mapping.columnFields
        var working: WorkingRow
        if row.count >= columns.count, !mapping.repeatsFields {
            // The usual row: every column present, one column a field.
            working = WorkingRow(input: row, source: mapping.firstColumns, inFieldOrder: mapping.isFieldOrder && row.count == columns.count)
        } else {
            working = WorkingRow(input: row, source: Array(repeating: -1, count: compiled.count), inFieldOrder: false)
            for column in 0..<min(row.count, columns.count) {
                guard let field = columns[column] else { continue }
                let chosen = working.source[field]
                guard chosen >= 0 else {
                    working.source[field] = column
                    continue
                }
                let kept = TextNormalisation.trim(row.cell(chosen))
                let offered = TextNormalisation.trim(row.cell(column))
                if kept.isEmpty {
                    working.source[field] = column
                } else if !offered.isEmpty, offered != kept {
                    // The first non-empty column gives the value; a second that says otherwise
                    // leaves no way to tell which is right.
                    issues.append(
                        IssueMessages.conflictingColumns(
                            fields[field], first: (chosen, TextNormalisation.trim(mapping.header[chosen])), second: (column, TextNormalisation.trim(mapping.header[column]))
                        )
                    )
                }
            }
        }
        if row.count > columns.count, (columns.count..<row.count).contains(where: { !row.cellIsEmpty($0) && !TextNormalisation.isBlank(row.cell($0)) }) {
            issues.append(IssueMessages.extraCells(count: row.count, columns: columns.count))
        }
        if row.hasUnclosedQuote {
            issues.append(IssueMessages.unclosedQuote)
        }
        if damagedText, let column = (0..<row.count).first(where: { row.cell($0).unicodeScalars.contains("\u{FFFD}") }) {
            let field = column < columns.count ? columns[column].map { fields[$0] } : nil
            issues.append(IssueMessages.encoding(field))
        }
        working.declaredUnits = mapping.declaredUnits
        let shortRow = shortRowIsCut && row.count < columns.count ? (cells: row.count, columns: columns.count) : nil
        return govern(&working, preIssues: issues, shortRow: shortRow, position: position, submittingUnit: submittingUnit)
    }

    /// Governs one positional row given as separate cells.
    public func govern(cells: [String], mapping: HeaderMapping, position: Int, submittingUnit: String, damagedText: Bool = false) -> GovernedRow {
        govern(row: TextRow(cells: cells), mapping: mapping, position: position, submittingUnit: submittingUnit, damagedText: damagedText)
    }

    /// Governs one JSON record as read; nil for an empty object, which is no record. A flat object
    /// (nearly every one) goes from its bytes to the row without a string per value.
    /// - Parameter layout: how the previous record's keys mapped to fields; a record with the same
    ///   keys reuses it, another replaces it.
    public func govern(json bytes: [UInt8], position: Int, submittingUnit: String, unknownKeys: inout Set<String>, layout: inout JSONKeyLayout?) -> GovernedRow? {
        if let object = bytes.withUnsafeBufferPointer(FlatJSON.object) {
            guard !object.keys.isEmpty else { return nil }
            let current: JSONKeyLayout
            if let layout, layout.keys == object.keys {
                current = layout
            } else {
                current = keyLayout(object.keys, order: object.order)
                layout = current
            }
            return govern(object, layout: current, position: position, submittingUnit: submittingUnit, unknownKeys: &unknownKeys)
        }
        guard case .keyed(let pairs) = JSONRecordConversion.foundationRecord(fromJSON: bytes[...]), !pairs.isEmpty else { return nil }
        return govern(pairs: pairs, position: position, submittingUnit: submittingUnit, unknownKeys: &unknownKeys)
    }

    /// Governs one keyed record (JSON); unknown keys are returned for the receipt.
    public func govern(pairs: [(String, String)], position: Int, submittingUnit: String, unknownKeys: inout Set<String>) -> GovernedRow {
        var object = FlatJSON.Object()
        var nestedValues: [Issue] = []
        let nestedKeys = Set(pairs.lazy.filter { $0.0 == JSONRecordConversion.nestedValueKey }.map(\.1))
        for (key, value) in pairs where key != JSONRecordConversion.nestedValueKey {
            var value = value
            // A member that is no field's is reported with the unknown keys. A multi-value field
            // may hold its values as an array of strings, as it would hold them separated by ；.
            if nestedKeys.contains(key), let field = matcher.field(for: key) {
                if compiled[field].multipleValues, let values = JSONRecordConversion.scalars(ofArray: value) {
                    value = values.joined(separator: "；")
                } else {
                    nestedValues.append(IssueMessages.nestedValue(fields[field]))
                }
            }
            object.keys.append(key)
            object.values.append(value)
        }
        let layout = keyLayout(object.keys, order: Array(0..<object.keys.count))
        return govern(object, layout: layout, position: position, submittingUnit: submittingUnit, unknownKeys: &unknownKeys, preIssues: nestedValues)
    }

    /// Which members give which fields, members taken in `order`.
    private func keyLayout(_ keys: TextRow, order: [Int]) -> JSONKeyLayout {
        var fields: [(member: Int, field: Int)] = []
        var unknownKeys: Set<String> = []
        var invalidJSONMembers: [Int] = []
        for member in order {
            let key = keys.cell(member)
            if key == JSONRecordConversion.invalidJSONKey {
                invalidJSONMembers.append(member)
            } else if let field = matcher.field(for: key) {
                fields.append((member, field))
            } else {
                unknownKeys.insert(key)
            }
        }
        return JSONKeyLayout(keys: keys, fields: fields, unknownKeys: unknownKeys, invalidJSONMembers: invalidJSONMembers)
    }

    /// In the members' order, the first value that is not empty is a field's value.
    private func govern(
        _ object: FlatJSON.Object, layout: JSONKeyLayout, position: Int, submittingUnit: String, unknownKeys: inout Set<String>, preIssues: [Issue] = []
    ) -> GovernedRow {
        var source = [Int](repeating: -1, count: compiled.count)
        let issues = layout.invalidJSONMembers.map { IssueMessages.invalidJSON(object.values.cell($0)) } + preIssues
        for (member, field) in layout.fields where source[field] < 0 || object.values.cellIsEmpty(source[field]) {
            source[field] = member
        }
        if !layout.unknownKeys.isEmpty { unknownKeys.formUnion(layout.unknownKeys) }
        var values = TextRow()
        values.reserve(bytes: object.values.bytes.count, cells: compiled.count)
        for column in source {
            if column >= 0 { values.append(cell: column, of: object.values) } else { values.append("") }
        }
        var working = WorkingRow(input: values, source: Array(compiled.indices), inFieldOrder: true)
        return govern(&working, preIssues: issues, position: position, submittingUnit: submittingUnit)
    }

    /// - Parameter shortRow: set for a positional row with fewer cells than the header's columns;
    ///   required fields whose columns lie past its end are reported together.
    func govern(_ row: inout WorkingRow, preIssues: [Issue], shortRow: (cells: Int, columns: Int)? = nil, position: Int, submittingUnit: String) -> GovernedRow {
        var errors = preIssues
        var fixes: [Issue] = []
        var complete = true

        // 1. Each value on its own: padding, full-width forms, case, spellings of dates and amounts.
        for index in compiled.indices where !row.isEmpty(index) {
            normalise(index, &row, &errors, &fixes)
        }
        // 2. Values taken from elsewhere when missing (许可编号 for a missing 文书号).
        for rule in rules {
            if case .fillFrom(let target, let source) = rule, row.isEmpty(target), !row.isEmpty(source) {
                let value = row.value(source)
                row.replace(target, with: value)
                fixes.append(IssueMessages.fixed(fields[target], "为空，已取「\(fields[source].label)」的值", "was empty; took the value of \(fields[source].id)", original: "", value: value))
            }
        }
        // 3. Required values.
        var absent: [FieldDefinition] = []
        for index in requiredIndexes where row.isEmpty(index) {
            if shortRow != nil, row.column(index) == nil {
                absent.append(fields[index])
            } else {
                errors.append(IssueMessages.required(fields[index]))
            }
            complete = false
        }
        if let shortRow, !absent.isEmpty {
            errors.append(IssueMessages.missingCells(count: shortRow.cells, columns: shortRow.columns, absent: absent))
        }
        // 4. Cross-field rules.
        for rule in rules {
            switch rule {
            case .conditionalRequired(let condition, let required):
                let multiple = compiled[condition.field].multipleValues
                guard condition.matches(in: row, multiple: multiple) else { continue }
                for index in required where row.isEmpty(index) {
                    let matched = condition.matchedValue(in: row, multiple: multiple) ?? ""
                    errors.append(IssueMessages.conditionalRequired(fields[index], because: condition.source, label: fields[condition.field].label, value: matched))
                    complete = false
                }
            case .dateOrder(let earlier, let later):
                let a = row.value(earlier)
                let b = row.value(later)
                // Both already normalised to ISO: string order is date order.
                if a.utf8.count == 10, b.utf8.count == 10, b < a, CalendarDate(iso: a) != nil, CalendarDate(iso: b) != nil {
                    errors.append(IssueMessages.dateOrder(earlier: fields[earlier], later: fields[later], earlierValue: a, laterValue: b))
                }
            case .notInFuture(let index):
                let value = row.value(index)
                guard value.utf8.count == 10, let date = CalendarDate(iso: value), date > today else { continue }
                errors.append(IssueMessages.futureDate(fields[index], value, today: today))
            case .placeholder(let index, let placeholder, let condition, let requires):
                guard row.value(index) == placeholder else { continue }
                if condition.matches(in: row, multiple: compiled[condition.field].multipleValues) {
                    for companion in requires where row.isEmpty(companion) {
                        errors.append(IssueMessages.placeholderCompanion(fields[companion], placeholderField: fields[index]))
                        complete = false
                    }
                } else {
                    errors.append(IssueMessages.placeholderNotAllowed(fields[index], value: placeholder, condition: condition.source, label: fields[condition.field].label))
                }
            case .amountMatchesText(let amountIndex, let textIndex):
                guard let issue = amountMismatch(amountIndex, textIndex, in: row) else { continue }
                errors.append(issue)
            case .fillFrom:
                continue
            }
        }
        let structurallyValid = !errors.contains { !Self.missingValueCodes.contains($0.code) }

        let rejected = !errors.isEmpty
        let values = row.normalisedRow()
        let eventDate = eventDateIndex.flatMap { values.cellIsEmpty($0) ? nil : values.cell($0) }
        var timely: Bool?
        if let eventDate, let window = resource.timeliness, let date = CalendarDate(iso: eventDate) {
            timely = today.daysSinceEpoch - date.daysSinceEpoch <= window.maximumDays
        }
        return GovernedRow(
            position: position,
            status: rejected ? .rejected : (fixes.isEmpty ? .accepted : .fixed),
            issues: rejected ? errors : fixes,
            original: rejected ? row.input : TextRow(),
            subjectName: subjectNameIndex.map { values.cell($0) } ?? "",
            eventDate: eventDate,
            complete: complete,
            valid: structurallyValid,
            timely: timely,
            identity: rejected ? nil : identify(values, submittingUnit: submittingUnit)
        )
    }

    static let missingValueCodes: Set<IssueCode> = [.required, .conditionalRequired, .missingCells]

    /// A record the decoder skipped as longer than any record can be.
    public func tooLong(position: Int) -> GovernedRow {
        GovernedRow(
            position: position, status: .rejected, issues: [IssueMessages.recordTooLong], original: TextRow(), subjectName: "", eventDate: nil,
            complete: false, valid: false, timely: nil, identity: nil
        )
    }

    /// Business key, subject, source and hashes of an accepted row.
    private func identify(_ values: TextRow, submittingUnit: String) -> RowIdentity {
        var subject = ""
        for index in subjectCodeIndexes where !values.cellIsEmpty(index) {
            let value = values.cell(index)
            if compiled[index].placeholder != value {
                subject = value
                break
            }
        }
        let subjectType = subjectTypeIndex.flatMap { index in values.withCell(index) { bytes in subjectTypes.first { $0.value.elementsEqual(bytes) }?.type } }
        let sourceUnit = sourceUnitIndex.flatMap { values.cellIsEmpty($0) ? nil : values.cell($0) } ?? submittingUnit

        var key: [UInt8] = []
        key.reserveCapacity(96)
        for (offset, index) in keyIndexes.enumerated() {
            if offset > 0 { key.append(0x1F) }
            values.withCell(index) { key.append(contentsOf: $0) }
        }
        if resource.businessKey.includesSubjectCode {
            key.append(0x1F)
            key.append(contentsOf: subject.utf8)
        }
        let keyHash = Digest128.businessKey(prefix: resourceKeyPrefix, key: key)
        func identity(_ contentHash: SHA256.Digest, _ json: [UInt8]) -> RowIdentity {
            RowIdentity(
                businessKey: String(decoding: key, as: UTF8.self), subjectCode: subject, subjectType: subjectType, sourceUnit: sourceUnit, keyHash: keyHash,
                contentHash: contentHash.withUnsafeBytes(Digest128.init(prefixOf:)), dataJSON: json
            )
        }
        if recordBodies == .omitted {
            // The cells and where each ends say exactly what the body would.
            var contentHasher = SHA256()
            values.bytes.withUnsafeBytes { contentHasher.update(bufferPointer: $0) }
            values.ends.withUnsafeBytes { contentHasher.update(bufferPointer: $0) }
            return identity(contentHasher.finalize(), [])
        }

        var json: [UInt8] = [UInt8(ascii: "{")]
        json.reserveCapacity(values.bytes.count + jsonKeys.count + 64)
        values.bytes.withUnsafeBufferPointer { cells in
            jsonKeys.withUnsafeBufferPointer { keys in
                var first = true
                for index in jsonKeyEnds.indices {
                    let range = values.range(index)
                    guard !range.isEmpty else { continue }
                    if !first { json.append(UInt8(ascii: ",")) }
                    first = false
                    json.append(contentsOf: UnsafeBufferPointer(rebasing: keys[(index == 0 ? 0 : jsonKeyEnds[index - 1])..<jsonKeyEnds[index]]))
                    JSONText.appendString(bytes: UnsafeBufferPointer(rebasing: cells[range]), to: &json)
                }
            }
        }
        json.append(UInt8(ascii: "}"))
        return identity(SHA256.hash(data: json), json)
    }

    // MARK: - Values

    private func normalise(_ index: Int, _ row: inout WorkingRow, _ errors: inout [Issue], _ fixes: inout [Issue]) {
        let rule = compiled[index]
        // The common case for free text: nothing to do but count characters, in place.
        if rule.type == .string || rule.type == .text, let column = row.column(index) {
            let mayHoldControlCharacters = row.mayHoldControlCharacters
            let clean: Bool = row.input.withCell(column) { cell in
                // A leading `#` may be a formula's error value: looked at below.
                guard !TextNormalisation.needsTrim(cell), !mayHoldControlCharacters || !TextNormalisation.hasControlCharacters(cell), cell.first != UInt8(ascii: "#")
                else { return false }
                if let maximum = rule.maximumLength, cell.count > maximum {
                    let length = TextNormalisation.scalarCount(cell)
                    if length > maximum { errors.append(IssueMessages.length(fields[index], length: length, maximum: maximum)) }
                }
                return true
            }
            if clean { return }
        } else if rule.type == .residentID || rule.type == .documentNumber, let column = row.column(index), isCleanResidentID(column, rule, row) {
            return
        } else if let column = row.column(index), row.declaredUnits?[index] == nil, row.input.withCell(column, { Self.isClean($0, rule) }) {
            // Codes, dates and amounts already in their stored form are ASCII (or a code list's
            // own value): bytes are characters, and nothing is copied.
            if let maximum = rule.maximumLength, row.input.cellByteCount(column) > maximum {
                let length = row.input.withCell(column) { TextNormalisation.scalarCount($0) }
                if length > maximum { errors.append(IssueMessages.length(fields[index], length: length, maximum: maximum)) }
            }
            return
        } else if rule.type == .date, rule.maximumLength.map({ $0 >= 10 }) ?? true, let column = row.column(index),
            case .canonical(let iso)? = row.input.withCell(column, DateNormaliser.official)
        {
            // An official form is stored in ISO without comment, read in place.
            if !row.input.withCell(column, { iso.utf8.elementsEqual($0) }) { row.replace(index, with: iso) }
            return
        }
        let original = row.value(index)
        let visible = row.mayHoldControlCharacters ? TextNormalisation.removingControlCharacters(original) : original
        var value = TextNormalisation.trim(visible)
        var fixNotes: [(String, String)] = []
        if visible != original { fixNotes.append(("去除不可见的控制字符", "removed invisible control characters")) }
        if value != visible { fixNotes.append(("去除首尾空白", "removed surrounding spaces")) }
        defer {
            if !TextNormalisation.sameBytes(value, original) { row.replace(index, with: value) }
            // A cell of only spaces is simply empty, not worth a note.
            if !fixNotes.isEmpty, !value.isEmpty {
                fixes.append(
                    IssueMessages.fixed(fields[index], fixNotes.map(\.0).joined(separator: "，"), fixNotes.map(\.1).joined(separator: ", "), original: original, value: value)
                )
            }
        }
        guard !value.isEmpty else { return }
        var field: FieldDefinition { fields[index] }
        if value.utf8.first == UInt8(ascii: "#"), Self.excelErrorValues.contains(value) {
            errors.append(IssueMessages.excelErrorValue(field, value))
            return
        }
        if rule.type != .string, rule.type != .text, Self.notApplicableMarks.contains(value), rule.codeList.map({ !$0.accepts(value) }) ?? true {
            // How forms and database exports say a field does not apply; a required field is then
            // reported as missing rather than as a malformed value.
            fixes.append(IssueMessages.fixed(field, "「\(value)」表示不适用，已按空值处理", "'\(value)' means not applicable, read as empty", original: original, value: ""))
            value = ""
            return
        }

        switch rule.type {
        case .string, .text:
            break
        case .referenceNumber:
            let normalised = ReferenceNumberNormaliser.normalise(value)
            fixNotes.append(contentsOf: normalised.notes.map { ($0.chinese, $0.english) })
            value = normalised.value
        case .code:
            let halfWidth = TextNormalisation.halfWidth(value)
            guard let list = rule.codeList else { return }
            // A value of the list as a whole (which may hold a 、) is one value; otherwise a
            // multi-valued cell is split into its values.
            if rule.multipleValues, !list.accepts(halfWidth), list.canonical(halfWidth) == nil, case let parts = list.values(in: halfWidth), parts.count > 1 {
                var canonical: [String] = []
                for part in parts {
                    if list.accepts(part) {
                        canonical.append(part)
                    } else if let mapped = list.canonical(part) {
                        canonical.append(mapped)
                        fixNotes.append(("「\(part)」已规范为「\(mapped)」", "'\(part)' normalised to '\(mapped)'"))
                    } else {
                        errors.append(IssueMessages.notInCodeList(field, part, list: list.list))
                        canonical.append(part)
                    }
                }
                value = canonical.joined(separator: ";")
            } else if list.accepts(halfWidth) {
                if halfWidth != value { fixNotes.append(("全角字符已转为半角", "full-width characters converted")) }
                value = halfWidth
            } else if let mapped = list.canonical(halfWidth) {
                fixNotes.append(("「\(halfWidth)」已规范为「\(mapped)」", "'\(halfWidth)' normalised to '\(mapped)'"))
                value = mapped
            } else {
                errors.append(IssueMessages.notInCodeList(field, value, list: list.list))
            }
        case .date:
            let halfWidth = TextNormalisation.halfWidth(value)
            switch DateNormaliser.normalise(halfWidth, dateSystem: dateSystem) {
            case .canonical(let iso):
                if halfWidth != value { fixNotes.append(("全角字符已转为半角", "full-width characters converted")) }
                value = iso
            case .converted(let iso, let form):
                fixNotes.append(("\(form.chinese)已转为 \(iso)", "\(form.english) converted to \(iso)"))
                value = iso
            case .invalid:
                errors.append(IssueMessages.notADate(field, value))
            }
        case .amount, .decimal, .integer:
            let halfWidth = TextNormalisation.halfWidth(value)
            if halfWidth != value { fixNotes.append(("全角字符已转为半角", "full-width characters converted")) }
            let unit = rule.unit
            // A number in a column whose header names another unit is in that unit.
            if rule.type == .amount, let declared = row.declaredUnits?[index], declared != unit, let number = AmountNormaliser.parse(Substring(halfWidth)) {
                switch AmountNormaliser.convert(number, from: declared, to: unit) {
                case .converted(let formatted), .canonical(let formatted):
                    fixNotes.append(("按表头的单位（\(declared.rawValue)）换算为 \(formatted)（\(unit.rawValue)）", "converted from the header's unit (\(declared.rawValue)) to \(formatted) \(unit.rawValue)"))
                    value = formatted
                case .negative:
                    errors.append(IssueMessages.negative(field, value))
                case .tooPrecise:
                    errors.append(IssueMessages.tooPrecise(field, value))
                case .invalid:
                    errors.append(IssueMessages.notANumber(field, value, unit: declared.rawValue))
                }
                return
            }
            switch AmountNormaliser.normalise(halfWidth, unit: rule.type == .amount ? unit : .tenThousandYuan) {
            case .canonical(let number):
                value = number
            case .converted(let number):
                if rule.type == .amount {
                    fixNotes.append(("「\(halfWidth)」已换算为 \(number)（\(unit.rawValue)）", "'\(halfWidth)' converted to \(number) \(unit.rawValue)"))
                    value = number
                } else {
                    errors.append(IssueMessages.notANumber(field, value, unit: nil))
                }
            case .negative(let number):
                if rule.type == .amount {
                    errors.append(IssueMessages.negative(field, number))
                } else {
                    value = number
                }
            case .tooPrecise:
                errors.append(IssueMessages.tooPrecise(field, value))
            case .invalid:
                errors.append(IssueMessages.notANumber(field, value, unit: rule.type == .amount ? unit.rawValue : nil))
            }
            if rule.type == .integer, value.utf8.contains(UInt8(ascii: ".")) {
                errors.append(IssueMessages.notANumber(field, value, unit: nil))
            }
        case .uscc:
            let cleaned = codeForm(value, &fixNotes)
            value = cleaned
            if rule.placeholder == cleaned { return }
            checkUSCC(field, cleaned, &errors)
        case .organisationCode:
            let cleaned = codeForm(value, &fixNotes, keepHyphen: true)
            value = cleaned
            checkOrganisationCode(field, cleaned, &errors)
        case .residentID:
            value = residentID(field, value, &fixNotes, &errors)
        case .documentNumber:
            let typeValue = rule.documentTypeIndex.map { TextNormalisation.halfWidth(TextNormalisation.trim(row.value($0))) } ?? ""
            let canonicalType = rule.documentTypeIndex.flatMap { compiled[$0].codeList?.canonical(typeValue) } ?? typeValue
            if canonicalType == Self.residentIDType {
                value = residentID(field, value, &fixNotes, &errors)
            } else {
                let unmarked = Self.withoutTextMarker(value, &fixNotes)
                let halfWidth = TextNormalisation.halfWidth(unmarked)
                if halfWidth != unmarked { fixNotes.append(("全角字符已转为半角", "full-width characters converted")) }
                value = halfWidth
            }
        }
        if let maximum = rule.maximumLength, value.utf8.count > maximum {
            let length = TextNormalisation.scalarCount(value)
            if length > maximum { errors.append(IssueMessages.length(field, length: length, maximum: maximum)) }
        }
    }

    /// Whether a code or amount is already exactly what normalising it would store, with no
    /// finding: the common case, decided on its bytes without making a string. (Dates have their
    /// own path: an official form is either already ISO or turned into it.)
    static func isClean(_ bytes: UnsafeBufferPointer<UInt8>, _ rule: CompiledField) -> Bool {
        switch rule.type {
        case .amount, .decimal, .integer:
            return AmountNormaliser.isCanonical(bytes, allowFraction: rule.type != .integer)
        case .uscc:
            guard bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }) else { return false }
            if let placeholder = rule.placeholder, placeholder.utf8.elementsEqual(bytes) { return true }
            return UnifiedSocialCreditCode.validate(bytes: bytes, characters: { bytes.count }) == nil
        case .code:
            guard let list = rule.codeList, !TextNormalisation.needsTrim(bytes), !TextNormalisation.hasFullWidth(bytes) else { return false }
            if rule.multipleValues, bytes.contains(UInt8(ascii: ";")) {
                // `罚款;没收违法所得`: each value already a listed one, nothing between them.
                var start = 0
                for end in 0...bytes.count where end == bytes.count || bytes[end] == UInt8(ascii: ";") {
                    let value = UnsafeBufferPointer(rebasing: bytes[start..<end])
                    guard !value.isEmpty, !TextNormalisation.needsTrim(value), list.acceptsExactly(value) else { return false }
                    start = end + 1
                }
                return true
            }
            return list.acceptsExactly(bytes)
        case .referenceNumber:
            return ReferenceNumberNormaliser.isCanonical(bytes)
        case .string, .text, .date, .organisationCode, .residentID, .documentNumber:
            return false
        }
    }

    /// Whether the cell at `column` is a valid 18-character resident ID number exactly as stored, in
    /// a field that holds one (for a document number, its type is 身份证): a natural person's row,
    /// decided on its bytes without making a string.
    private func isCleanResidentID(_ column: Int, _ rule: CompiledField, _ row: WorkingRow) -> Bool {
        if rule.type == .documentNumber {
            guard let typeIndex = rule.documentTypeIndex, row.withValue(typeIndex, { Self.residentIDType.utf8.elementsEqual($0) }) else { return false }
        }
        return row.input.withCell(column) { ResidentIdentityNumber.validate(bytes: $0, today: today.compactValue) == nil }
    }

    /// The document type whose numbers are resident ID numbers.
    static let residentIDType = "身份证"

    /// Half-width, upper case, no inner spaces (or hyphens unless kept): how codes are stored.
    private func codeForm(_ value: String, _ notes: inout [(String, String)], keepHyphen: Bool = false) -> String {
        // Already clean: uppercase ASCII letters and digits only.
        if value.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }) { return value }
        let unmarked = Self.withoutTextMarker(value, &notes)
        let halfWidth = TextNormalisation.halfWidth(unmarked)
        if halfWidth != unmarked { notes.append(("全角字符已转为半角", "full-width characters converted")) }
        let upper = TextNormalisation.upperASCII(halfWidth)
        if upper != halfWidth { notes.append(("小写字母已转为大写", "lower-case letters upper-cased")) }
        var compact = upper
        if keepHyphen {
            compact = String(decoding: upper.utf8.filter { $0 != 0x20 }, as: UTF8.self)
            if compact.utf8.count == 10, Array(compact.utf8)[8] == UInt8(ascii: "-") {
                compact = String(decoding: compact.utf8.filter { $0 != 0x2D }, as: UTF8.self)
            }
        } else {
            compact = TextNormalisation.removingSeparators(upper)
        }
        if compact.utf8.count != upper.utf8.count, compact.utf8.count != upper.utf8.count - 1 || !keepHyphen {
            notes.append(("去除代码中的空格或连字符", "removed spaces or hyphens inside the code"))
        }
        return compact
    }

    /// What a clerk types in a form's cell that does not apply (无, /, —), and what database exports
    /// write for no value (NULL, \\N): read as empty in codes, dates, amounts and numbers, where
    /// they cannot be values. Free text keeps them as written.
    static let notApplicableMarks: Set<String> = [
        "无", "暂无", "空", "/", "／", "\\", "-", "－", "—", "——", "―", "N/A", "n/a", "NULL", "null", "Null", "\\N",
    ]

    /// What Excel (and WPS) show, and write to CSV, for a formula that failed: never a value.
    static let excelErrorValues: Set<String> = [
        "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!",
        "#BUSY!", "#UNKNOWN!", "#EXTERNAL!", "#PYTHON!",
    ]

    /// A code without the marks that keep Excel from reading it as a number: `="…"`, as systems
    /// export long codes to CSV, or a leading `'`, as clerks type them.
    static func withoutTextMarker(_ value: String, _ notes: inout [(String, String)]) -> String {
        let unmarked: Substring
        if value.hasPrefix("=\""), value.hasSuffix("\""), value.utf8.count > 3 {
            unmarked = value.dropFirst(2).dropLast()
        } else if value.hasPrefix("'"), value.utf8.count > 1 {
            unmarked = value.dropFirst()
        } else {
            return value
        }
        notes.append(("去除 Excel 的文本标记（=\"…\" 或开头的 '）", "removed Excel's text marker (=\"…\" or a leading ')"))
        return String(unmarked)
    }

    private func checkUSCC(_ field: FieldDefinition, _ value: String, _ errors: inout [Issue]) {
        switch UnifiedSocialCreditCode.validate(value) {
        case nil: return
        case .length:
            errors.append(IssueMessages.malformedCode(field, value, shown: value, expected: "应为 18 位统一社会信用代码", expectedEnglish: "expected an 18-character unified social credit code"))
        case .character:
            // I, O, Z, S and V are not in the code's alphabet: typed for 1, 0, 2, 5 and U. The
            // repaired code is only suggested, since one in 31 wrong codes also passes the check.
            let repaired = String(value.map { Self.creditCodeLookAlikes[$0] ?? $0 })
            let hint = repaired != value && UnifiedSocialCreditCode.validate(repaired) == nil
                ? ("；统一社会信用代码不使用字母 I、O、Z、S、V，改为 \(repaired) 可通过校验，请核对原件", "; the code uses no I, O, Z, S or V, and \(repaired) passes the check: verify it against the licence")
                : ("", "")
            errors.append(
                IssueMessages.malformedCode(
                    field, value, shown: value, expected: "应为 18 位统一社会信用代码" + hint.0, expectedEnglish: "expected an 18-character unified social credit code" + hint.1
                )
            )
        case .checkCharacter(let expected, let found):
            errors.append(IssueMessages.checksum(field, standard: "GB 32100", found: found, expected: expected))
        case .organisationCode:
            errors.append(IssueMessages.embeddedOrganisationCode(field))
        }
    }

    /// Letters GB 32100 leaves out because they look like digits or other letters, and what they stand for.
    static let creditCodeLookAlikes: [Character: Character] = ["I": "1", "O": "0", "Z": "2", "S": "5", "V": "U"]

    private func checkOrganisationCode(_ field: FieldDefinition, _ value: String, _ errors: inout [Issue]) {
        switch OrganisationCode.validate(value) {
        case nil: return
        case .length, .character:
            errors.append(IssueMessages.malformedCode(field, value, shown: value, expected: "应为 9 位组织机构代码", expectedEnglish: "expected a 9-character organisation code"))
        case .checkCharacter(let expected, let found):
            errors.append(IssueMessages.checksum(field, standard: "GB 11714", found: found, expected: expected))
        }
    }

    private func residentID(_ field: FieldDefinition, _ value: String, _ notes: inout [(String, String)], _ errors: inout [Issue]) -> String {
        var number = codeForm(value, &notes)
        if number.utf8.count == 15, TextNormalisation.isASCIIDigits(Substring(number).utf8) {
            // First-generation (15-digit) numbers: insert the century and compute the check character.
            let body = Array(number.utf8.prefix(6)) + Array("19".utf8) + Array(number.utf8.dropFirst(6))
            var sum = 0
            for (offset, byte) in body.enumerated() { sum += Int(byte - 0x30) * [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2][offset] }
            notes.append(("15 位身份证号已升级为 18 位", "15-digit ID number upgraded to 18 digits"))
            number = String(decoding: body, as: UTF8.self) + String(Array("10X98765432")[sum % 11])
        }
        switch ResidentIdentityNumber.validate(number, today: today.compactValue) {
        case nil:
            break
        case .length, .character:
            errors.append(IssueMessages.malformedCode(field, number, shown: field.sensitive ? "…" : number, expected: "应为 18 位身份证号码", expectedEnglish: "expected an 18-character resident ID number"))
        case .birthDate(let birth):
            errors.append(IssueMessages.birthDate(field, birth))
        case .checkCharacter(let expected, let found):
            errors.append(IssueMessages.checksum(field, standard: "GB 11643", found: found, expected: expected))
        }
        return number
    }

    /// 元 typed into a 万元 field: the text names exactly one amount in 元 and the field holds that
    /// number rather than its 万元 equivalent.
    private func amountMismatch(_ amountIndex: Int, _ textIndex: Int, in row: WorkingRow) -> Issue? {
        guard fields[amountIndex].unit == .tenThousandYuan, !row.isEmpty(amountIndex),
            let amount = row.withValue(amountIndex, { AmountNormaliser.parse(bytes: $0) })
        else { return nil }
        // The text is read in place unless a full-width form in it would read differently as ASCII.
        let amounts = row.withValue(textIndex) { Self.amountsNeedHalfWidth($0) ? nil : Self.yuanAmounts($0) } ?? Self.yuanAmounts(in: row.value(textIndex))
        guard amounts.count == 1, let yuan = amounts.first else { return nil }
        let expected = yuan / 10_000
        guard amount == yuan, amount != expected else { return nil }
        return IssueMessages.amountMismatch(
            fields[amountIndex], value: row.value(amountIndex), textField: fields[textIndex], yuan: AmountNormaliser.format(yuan),
            expected: AmountNormaliser.format(expected)
        )
    }

    /// Amounts written as `罚款2000元` / `罚款人民币2,000.00元` in free text, in millionths of 元.
    /// Full-width digits count too. Returns nothing when the text also has an amount in 万元.
    static func yuanAmounts(in text: String) -> [Int64] {
        var halfWidth = TextNormalisation.halfWidth(text)
        return halfWidth.withUTF8(yuanAmounts)
    }

    /// Whether `yuanAmounts` would read `bytes` differently once made half-width: a full-width
    /// digit (EF BC 90–99) or ideographic space (E3 80 80) anywhere, or a full-width comma or full
    /// stop (EF BC 8C, EF BC 8E) right after a digit. Other full-width forms (the ，and 。 of any
    /// sentence) are skipped over alike either way.
    static func amountsNeedHalfWidth(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index + 2 < bytes.count {
            switch (bytes[index], bytes[index + 1], bytes[index + 2]) {
            case (0xEF, 0xBC, 0x90...0x99), (0xE3, 0x80, 0x80):
                return true
            case (0xEF, 0xBC, 0x8C), (0xEF, 0xBC, 0x8E):
                if index > 0, TextNormalisation.isDigit(bytes[index - 1]) { return true }
            default:
                break
            }
            index += 1
        }
        return false
    }

    static func yuanAmounts(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int64] {
        var amounts: [Int64] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] >= 0x30 && bytes[index] <= 0x39 else {
                index += 1
                continue
            }
            var end = index
            var hasComma = false
            while end < bytes.count, (bytes[end] >= 0x30 && bytes[end] <= 0x39) || bytes[end] == UInt8(ascii: ".") || bytes[end] == UInt8(ascii: ",") {
                if bytes[end] == UInt8(ascii: ",") { hasComma = true }
                end += 1
            }
            var unit = end
            while unit < bytes.count, bytes[unit] == 0x20 { unit += 1 }
            // 元 is E5 85 83; 万 is E4 B8 87.
            if unit + 2 < bytes.count, bytes[unit] == 0xE5, bytes[unit + 1] == 0x85, bytes[unit + 2] == 0x83 {
                let number = bytes[index..<end]
                if let value = hasComma ? AmountNormaliser.parse(bytes: number.filter { $0 != UInt8(ascii: ",") }) : AmountNormaliser.parse(bytes: number) {
                    amounts.append(value)
                }
            } else if unit + 2 < bytes.count, bytes[unit] == 0xE4, bytes[unit + 1] == 0xB8, bytes[unit + 2] == 0x87 {
                return []
            }
            index = end
        }
        return amounts
    }
}

/// A row being governed: the submitted cells, which column feeds each field, and the values that
/// normalisation changed (the rest are read from the submitted cells in place).
struct WorkingRow {
    let input: TextRow
    /// Column of `input` for each field, -1 when the file has none.
    var source: [Int]
    /// Values normalisation produced, as few as the row has (most rows need none, the rest a
    /// date or two): a field not listed is as submitted.
    private var changed: [(field: Int, value: String)] = []
    /// `input`'s cells are the fields in order.
    let inFieldOrder: Bool
    /// Some cell may hold a control character: one scan of the whole row spares nearly every row
    /// a scan per value.
    let mayHoldControlCharacters: Bool
    /// By field, the amount unit its column's header names instead of the field's (`HeaderMapping`).
    var declaredUnits: [AmountUnit?]?

    init(input: TextRow, source: [Int], inFieldOrder: Bool) {
        self.input = input
        self.source = source
        self.inFieldOrder = inFieldOrder
        mayHoldControlCharacters = input.bytes.withUnsafeBufferPointer(TextNormalisation.hasControlCharacters)
    }

    func replaced(_ field: Int) -> String? {
        for change in changed where change.field == field { return change.value }
        return nil
    }

    mutating func replace(_ field: Int, with value: String) {
        if let index = changed.firstIndex(where: { $0.field == field }) {
            changed[index].value = value
        } else {
            if changed.isEmpty { changed.reserveCapacity(4) }
            changed.append((field, value))
        }
    }

    func column(_ field: Int) -> Int? {
        source[field] >= 0 ? source[field] : nil
    }

    func isEmpty(_ field: Int) -> Bool {
        if let value = replaced(field) { return value.isEmpty }
        return source[field] < 0 || input.cellIsEmpty(source[field])
    }

    func value(_ field: Int) -> String {
        if let value = replaced(field) { return value }
        return source[field] < 0 ? "" : input.cell(source[field])
    }

    /// Reads the value of `field` in place.
    func withValue<Result>(_ field: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if var value = replaced(field) { return value.withUTF8(body) }
        if source[field] < 0 { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        return input.withCell(source[field], body)
    }

    /// The normalised values in field order, copying unchanged cells byte for byte.
    func normalisedRow() -> TextRow {
        if changed.isEmpty, inFieldOrder { return input }
        var row = TextRow()
        row.reserve(bytes: input.bytes.count + 64, cells: source.count)
        if inFieldOrder {
            // Unchanged cells between changed ones are copied a run at a time.
            var runStart = 0
            for field in source.indices {
                guard let value = replaced(field) else { continue }
                row.append(cells: runStart..<field, of: input)
                row.append(value)
                runStart = field + 1
            }
            row.append(cells: runStart..<source.count, of: input)
            return row
        }
        for field in source.indices {
            if let value = replaced(field) {
                row.append(value)
            } else if source[field] >= 0 {
                row.append(cell: source[field], of: input)
            } else {
                row.append("")
            }
        }
        return row
    }
}

/// A field's rules in the form the hot path reads. A class, so reading one costs a single
/// reference count rather than one per member.
final class CompiledField: Sendable {
    let type: FieldType
    let maximumLength: Int?
    let multipleValues: Bool
    let codeList: CompiledCodeList?
    let documentTypeIndex: Int?
    let placeholder: String?
    let unit: AmountUnit

    init(type: FieldType, maximumLength: Int?, multipleValues: Bool, codeList: CompiledCodeList?, documentTypeIndex: Int?, placeholder: String?, unit: AmountUnit) {
        self.type = type
        self.maximumLength = maximumLength
        self.multipleValues = multipleValues
        self.codeList = codeList
        self.documentTypeIndex = documentTypeIndex
        self.placeholder = placeholder
        self.unit = unit
    }
}

/// A code list compiled for lookups. Code lists are short, so values are compared as UTF-8 bytes
/// in a loop: cheaper than hashing Chinese strings, which Swift normalises first.
final class CompiledCodeList: Sendable {
    let list: CodeList
    /// Each value and alias with the canonical value it stands for.
    let entries: [(bytes: [UInt8], canonical: String, isAlias: Bool)]
    let qualifiable: [String]

    init(_ list: CodeList) {
        self.list = list
        var entries: [(bytes: [UInt8], canonical: String, isAlias: Bool)] = list.values.map { (Array($0.value.utf8), $0.value, false) }
        for value in list.values {
            for alias in value.aliases where !entries.contains(where: { $0.bytes.elementsEqual(alias.utf8) }) {
                entries.append((Array(alias.utf8), value.value, true))
            }
        }
        self.entries = entries
        qualifiable = list.values.filter(\.allowsQualifier).map { $0.value + "-" }
    }

    /// Whether the bytes are one of the list's own values (not an alias).
    func acceptsExactly(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        entry(bytes).map { !$0.isAlias } ?? false
    }

    private func entry(_ bytes: UnsafeBufferPointer<UInt8>) -> (bytes: [UInt8], canonical: String, isAlias: Bool)? {
        entries.first { $0.bytes.count == bytes.count && $0.bytes.elementsEqual(bytes) }
    }

    private func entry(_ text: String) -> (bytes: [UInt8], canonical: String, isAlias: Bool)? {
        var text = text
        return text.withUTF8(entry)
    }

    func accepts(_ text: String) -> Bool {
        if let entry = entry(text), !entry.isAlias { return true }
        return qualifiable.contains { text.hasPrefix($0) && text.count > $0.count }
    }

    func canonical(_ text: String) -> String? {
        entry(text)?.canonical
    }

    /// The values a multi-valued cell holds, as departments separate them: `;`, `、`, `,`, `/` or
    /// spaces (in half-width text; the full-width forms too). Not inside brackets, nor in the text
    /// after a qualifiable value's `-`, which is that value's own (`其他-责令改正，限期整改`).
    func values(in text: String) -> [String] {
        var values: [String] = []
        var current = ""
        var depth = 0
        func endValue() {
            let value = TextNormalisation.trim(current)
            if !value.isEmpty { values.append(value) }
            current = ""
        }
        var rest = Substring(text)
        while let character = rest.popFirst() {
            // `其他-…`: the rest of the cell is the qualifier's.
            if character == "-", qualifiable.contains(TextNormalisation.trim(current) + "-") {
                current.append(character)
                current.append(contentsOf: rest)
                break
            }
            switch character {
            case "(", "（", "[", "【":
                depth += 1
            case ")", "）", "]", "】":
                depth = max(0, depth - 1)
            case ";", "；", "、", ",", "，", "/", "／", " ", "\u{3000}":
                if depth == 0 {
                    endValue()
                    continue
                }
            default:
                break
            }
            current.append(character)
        }
        endValue()
        return values
    }
}

/// A condition on a field, by index.
final class CompiledCondition: Sendable {
    let field: Int
    /// The values, as UTF-8 (compared bytewise: hashing Chinese strings costs a normalisation).
    let values: [[UInt8]]
    let containsMatch: Bool
    let source: FieldCondition

    init(field: Int, values: [String], containsMatch: Bool, source: FieldCondition) {
        self.field = field
        self.values = values.map { Array($0.utf8) }
        self.containsMatch = containsMatch
        self.source = source
    }

    /// Whether the condition's field in `row` satisfies it, read in place.
    func matches(in row: WorkingRow, multiple: Bool) -> Bool {
        row.withValue(field) { bytes in
            guard !bytes.isEmpty else { return false }
            // A needle holds no separator, so it occurs in one of several values iff in the whole.
            guard multiple, !containsMatch, bytes.contains(UInt8(ascii: ";")) else { return isSatisfied(by: bytes[...]) }
            return bytes.split(separator: UInt8(ascii: ";")).contains(where: isSatisfied)
        }
    }

    /// The value (or one of several) that satisfies the condition, to name it in an issue.
    func matchedValue(in row: WorkingRow, multiple: Bool) -> String? {
        let value = row.value(field)
        let parts = multiple ? value.split(separator: ";").map(String.init) : [value]
        return parts.first { part in
            var part = part
            return part.withUTF8 { isSatisfied(by: $0[...]) }
        }
    }

    /// Whether one value is a condition value, or contains one for a `contains` condition.
    private func isSatisfied(by bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        if containsMatch { return values.contains { TextNormalisation.contains(UnsafeBufferPointer(rebasing: bytes), $0) } }
        return values.contains { $0.count == bytes.count && $0.elementsEqual(bytes) }
    }
}

/// A catalogue rule by field index.
enum CompiledRule: Sendable {
    case conditionalRequired(CompiledCondition, [Int])
    case dateOrder(Int, Int)
    case notInFuture(Int)
    case placeholder(Int, String, CompiledCondition, [Int])
    case fillFrom(Int, Int)
    case amountMatchesText(Int, Int)

    /// Nil when the rule names a field the resource lacks (the catalogue validator refuses those).
    init?(_ rule: CatalogueRule, indexByID: [String: Int]) {
        func condition(_ source: FieldCondition) -> CompiledCondition? {
            indexByID[source.field].map { CompiledCondition(field: $0, values: source.anyOf, containsMatch: source.containsMatch, source: source) }
        }
        switch rule {
        case .conditionalRequired(_, let when, let fields):
            guard let condition = condition(when) else { return nil }
            self = .conditionalRequired(condition, fields.compactMap { indexByID[$0] })
        case .dateOrder(_, let earlier, let later):
            guard let a = indexByID[earlier], let b = indexByID[later] else { return nil }
            self = .dateOrder(a, b)
        case .notInFuture(_, let field):
            guard let index = indexByID[field] else { return nil }
            self = .notInFuture(index)
        case .placeholder(_, let field, let value, let when, let requires):
            guard let index = indexByID[field], let condition = condition(when) else { return nil }
            self = .placeholder(index, value, condition, requires.compactMap { indexByID[$0] })
        case .fillFrom(_, let field, let source):
            guard let target = indexByID[field], let from = indexByID[source] else { return nil }
            self = .fillFrom(target, from)
        case .amountMatchesText(_, let amount, let text):
            guard let a = indexByID[amount], let b = indexByID[text] else { return nil }
            self = .amountMatchesText(a, b)
        }
    }
}

