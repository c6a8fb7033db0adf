import Yams

extension Resource {
    /// Reads one resource from a catalogue YAML file, reporting every problem found with its line.
    ///
    /// - Parameters:
    ///   - yaml: The file's text.
    ///   - file: The name used in problem reports.
    /// - Returns: The resource, or `nil` when there were problems (all of them in the result).
    public static func parse(yaml: String, file: String) -> (resource: Resource?, problems: [CatalogueProblem]) {
        var reader = CatalogueNodeReader(file: file)
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: yaml) else {
                reader.report(nil as Mark?, "the file is empty; expected a resource definition")
                return (nil, reader.problems)
            }
            root = composed
        } catch let error as YamlError {
            reader.report(yamlError: error)
            return (nil, reader.problems)
        } catch {
            reader.report(nil as Mark?, "cannot read YAML: \(error)")
            return (nil, reader.problems)
        }
        let resource = reader.resource(root)
        let problems = reader.problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
        return (problems.isEmpty ? resource : nil, problems)
    }
}

/// Walks a composed YAML tree, collecting problems instead of stopping at the first.
struct CatalogueNodeReader {
    let file: String
    private(set) var problems: [CatalogueProblem] = []
    /// Where each field and rule was declared, for problems found after parsing.
    private var fieldMarks: [String: Mark] = [:]
    private var ruleMarks: [String: Mark] = [:]
    private var keyMarks: [String: Mark] = [:]

    init(file: String) {
        self.file = file
    }

    mutating func report(_ node: Node?, _ message: String) {
        report(node?.mark, message)
    }

    mutating func report(_ mark: Mark?, _ message: String) {
        problems.append(CatalogueProblem(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, message: message))
    }

    mutating func report(yamlError: YamlError) {
        switch yamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            report(mark, "invalid YAML: \(problem)")
        case .composer(_, let problem, let mark, _):
            report(mark, "invalid YAML: \(problem)")
        default:
            report(nil as Mark?, "invalid YAML: \(yamlError)")
        }
    }

    // MARK: - Resource

    private static let resourceKeys: Set<String> = [
        "id", "name", "name_en", "subject_types", "information_class", "subject", "fields", "code_lists",
        "business_key", "source_unit_field", "rules", "themes", "share_type", "per_batch_approval", "disclosure",
        "market_use", "sensitivity", "update_frequency", "timeliness", "source_units", "channels",
        "publicity_period", "log_retention_years", "description",
    ]

    mutating func resource(_ root: Node) -> Resource? {
        guard let map = mapping(root, "the resource") else { return nil }
        checkKeys(map, allowed: Self.resourceKeys, in: "resource")
        let id = identifier(map, "id")
        let name = string(map, "name")
        let nameEnglish = optionalString(map, "name_en")
        let description = optionalString(map, "description")
        let subjectTypes = enumList(map, "subject_types", SubjectType.self, what: "subject type")
        let informationClass = enumValue(map, "information_class", InformationClass.self, what: "information class")
        let codeLists = self.codeLists(map["code_lists"])
        let (parsedFields, fieldsFailed) = self.fields(map["fields"])
        let subject = self.subject(map["subject"])
        let businessKey = self.businessKey(map["business_key"])
        let sourceUnitField = optionalString(map, "source_unit_field")
        let rules = self.rules(map["rules"])
        let themes = optionalStringList(map, "themes") ?? []
        let shareType = enumValue(map, "share_type", ShareType.self, what: "share type")
        let perBatchApproval = optionalBool(map, "per_batch_approval") ?? false
        let disclosure = enumValue(map, "disclosure", Disclosure.self, what: "disclosure")
        let marketUse = enumValue(map, "market_use", MarketUseClass.self, what: "market-use class")
        let sensitivity = self.sensitivity(map["sensitivity"])
        let updateFrequency = enumValue(map, "update_frequency", UpdateFrequency.self, what: "update frequency")
        let timeliness = self.timeliness(map["timeliness"])
        let sourceUnits = self.sourceUnits(map["source_units"])
        let channels = enumList(map, "channels", CollectionChannel.self, what: "collection channel")
        let publicityPeriod = self.publicityPeriod(map["publicity_period"])
        let logRetention = self.retention(map["log_retention_years"])
        if let keyNode = map["business_key"] { keyMarks["business_key"] = keyNode.mark }
        if let node = map["source_unit_field"] { keyMarks["source_unit_field"] = node.mark }
        if let node = map["subject"] { keyMarks["subject"] = node.mark }
        if let node = map["timeliness"] { keyMarks["timeliness"] = node.mark }
        if let node = map["publicity_period"] { keyMarks["publicity_period"] = node.mark }
        if let node = map["per_batch_approval"] { keyMarks["per_batch_approval"] = node.mark }
        checkReferences(
            ResourceReferences(
                fields: parsedFields, codeLists: codeLists, subject: subject, businessKey: businessKey,
                sourceUnitField: sourceUnitField, rules: rules, timeliness: timeliness,
                publicityPeriod: publicityPeriod, perBatchApproval: perBatchApproval, shareType: shareType
            )
        )
        guard let id, let name, let subjectTypes, let informationClass, !fieldsFailed, let subject, let businessKey,
            let shareType, let disclosure, let marketUse, let sensitivity, let updateFrequency, let channels,
            let logRetention
        else { return nil }
        let fields = parsedFields
        return Resource(
            id: id,
            name: name,
            nameEnglish: nameEnglish ?? id,
            description: description,
            subjectTypes: subjectTypes,
            informationClass: informationClass,
            subject: subject,
            fields: fields,
            codeLists: codeLists,
            businessKey: businessKey,
            sourceUnitField: sourceUnitField,
            rules: rules,
            themes: themes,
            shareType: shareType,
            perBatchApproval: perBatchApproval,
            disclosure: disclosure,
            marketUse: marketUse,
            sensitivity: sensitivity,
            updateFrequency: updateFrequency,
            timeliness: timeliness,
            sourceUnits: sourceUnits,
            channels: channels,
            publicityPeriod: publicityPeriod,
            logRetention: logRetention
        )
    }

    // MARK: - Fields

    private static let fieldKeys: Set<String> = [
        "id", "label", "aliases", "type", "required", "length", "code_list", "multiple", "sensitive", "masking",
        "document_type_field", "unit", "description",
    ]

    /// The fields that parsed, and whether any did not. Every field with a readable id is
    /// recorded in `fieldMarks`, so references to a field with a bad type are not reported twice.
    private mutating func fields(_ node: Node?) -> (fields: [FieldDefinition], failed: Bool) {
        guard let node else {
            report(nil as Mark?, "missing key 'fields': a resource needs at least one field")
            return ([], true)
        }
        guard case .sequence(let sequence) = node, !sequence.isEmpty else {
            report(node, "'fields' must be a non-empty list of field definitions")
            return ([], true)
        }
        var result: [FieldDefinition] = []
        var failed = false
        for item in sequence {
            let idNode = item["id"]
            if let id = idNode?.string {
                if let earlier = fieldMarks[id] {
                    report(idNode, "duplicate field id '\(id)' (first declared on line \(earlier.line))")
                    failed = true
                    continue
                }
                if let mark = item.mark { fieldMarks[id] = mark }
            }
            if let field = field(item) {
                result.append(field)
            } else {
                failed = true
            }
        }
        return (result, failed)
    }

    private mutating func field(_ node: Node) -> FieldDefinition? {
        guard let map = mapping(node, "a field") else { return nil }
        checkKeys(map, allowed: Self.fieldKeys, in: "field")
        let id = identifier(map, "id")
        let label = string(map, "label")
        let aliases = optionalStringList(map, "aliases") ?? []
        let type = enumValue(map, "type", FieldType.self, what: "field type")
        let required = optionalBool(map, "required") ?? false
        let length = optionalInt(map, "length")
        if let length, length <= 0 { report(map["length"], "length must be a positive number of characters") }
        let codeList = optionalString(map, "code_list")
        let multiple = optionalBool(map, "multiple") ?? false
        let sensitive = optionalBool(map, "sensitive") ?? false
        let masking = self.masking(map["masking"]) ?? (sensitive ? .full : Masking.none)
        let documentTypeField = optionalString(map, "document_type_field")
        let unit = optionalEnum(map, "unit", AmountUnit.self, what: "amount unit")
        let description = optionalString(map, "description")
        guard let id, let label, let type else { return nil }
        if type == .code, codeList == nil {
            report(map["type"], "field '\(id)' has type 'code' but no 'code_list'")
        }
        if type != .code, codeList != nil {
            report(map["code_list"], "field '\(id)' names a code list but its type is '\(type.rawValue)', not 'code'")
        }
        if type == .amount, unit == nil {
            report(map["type"], "amount field '\(id)' needs a 'unit' (万元 or 元)")
        }
        if type != .amount, unit != nil {
            report(map["unit"], "field '\(id)' has a unit but its type is '\(type.rawValue)', not 'amount'")
        }
        if type == .documentNumber, documentTypeField == nil {
            report(map["type"], "document_number field '\(id)' needs 'document_type_field'")
        }
        return FieldDefinition(
            id: id, label: label, aliases: aliases, type: type, required: required, maximumLength: length,
            codeList: codeList, multipleValues: multiple, sensitive: sensitive, masking: masking,
            documentTypeField: documentTypeField, unit: unit, description: description
        )
    }

    private mutating func masking(_ node: Node?) -> Masking? {
        guard let node else { return nil }
        if let name = node.string, node.isScalarNode {
            if let preset = Masking.presets[name] { return preset }
            report(node, "unknown masking '\(name)'; use one of \(Masking.presets.keys.sorted().joined(separator: ", ")) or {keep_first: N, keep_last: N}")
            return nil
        }
        guard let map = mapping(node, "masking") else { return nil }
        checkKeys(map, allowed: ["keep_first", "keep_last"], in: "masking")
        let first = optionalInt(map, "keep_first") ?? 0
        let last = optionalInt(map, "keep_last") ?? 0
        if first < 0 || last < 0 { report(node, "masking keeps a negative number of characters") }
        return .keep(first: first, last: last)
    }

    // MARK: - Code lists

    private mutating func codeLists(_ node: Node?) -> [String: CodeList] {
        guard let node else { return [:] }
        guard let map = mapping(node, "'code_lists'") else { return [:] }
        var result: [String: CodeList] = [:]
        for (key, value) in map.pairs {
            guard let name = key.string else { continue }
            guard case .sequence(let items) = value, !items.isEmpty else {
                report(value, "code list '\(name)' must be a non-empty list of values")
                continue
            }
            var values: [CodeValue] = []
            for item in items {
                if item.isScalarNode, let text = item.string {
                    values.append(CodeValue(value: text))
                } else if let entry = mapping(item, "a code value") {
                    checkKeys(entry, allowed: ["value", "meaning", "aliases", "qualifier"], in: "code value")
                    guard let value = string(entry, "value") else { continue }
                    values.append(
                        CodeValue(
                            value: value,
                            meaning: optionalString(entry, "meaning"),
                            aliases: optionalStringList(entry, "aliases") ?? [],
                            allowsQualifier: optionalBool(entry, "qualifier") ?? false
                        )
                    )
                }
            }
            let duplicates = Dictionary(grouping: values.flatMap { [$0.value] + $0.aliases }, by: { $0 }).filter { $1.count > 1 }
            for duplicate in duplicates.keys.sorted() {
                report(value, "code list '\(name)' lists '\(duplicate)' more than once")
            }
            result[name] = CodeList(values: values)
        }
        return result
    }

    // MARK: - Subject, key, rules

    private mutating func subject(_ node: Node?) -> SubjectBinding? {
        guard let node else {
            report(nil as Mark?, "missing key 'subject': say which fields name and identify the subject")
            return nil
        }
        guard let map = mapping(node, "'subject'") else { return nil }
        checkKeys(map, allowed: ["type_field", "type_values", "name_field", "code_fields"], in: "subject")
        let typeField = optionalString(map, "type_field")
        var typeValues: [String: SubjectType] = [:]
        if let valuesNode = map["type_values"], let values = mapping(valuesNode, "'type_values'") {
            for (key, value) in values.pairs {
                guard let text = key.string else { continue }
                if let type = enumScalar(value, SubjectType.self, what: "subject type") {
                    typeValues[text] = type
                }
            }
        }
        let nameField = string(map, "name_field")
        let codeFields = stringList(map, "code_fields")
        guard let nameField, let codeFields else { return nil }
        if codeFields.isEmpty { report(map["code_fields"], "'code_fields' must name at least one field") }
        return SubjectBinding(typeField: typeField, typeValues: typeValues, nameField: nameField, codeFields: codeFields)
    }

    private mutating func businessKey(_ node: Node?) -> BusinessKey? {
        guard let node else {
            report(nil as Mark?, "missing key 'business_key': say which fields identify one record")
            return nil
        }
        guard let map = mapping(node, "'business_key'") else { return nil }
        checkKeys(map, allowed: ["fields", "subject_code"], in: "business_key")
        guard let fields = stringList(map, "fields") else { return nil }
        let subjectCode = optionalBool(map, "subject_code") ?? false
        if fields.isEmpty && !subjectCode {
            report(node, "the business key is empty: name at least one field or set subject_code: true")
        }
        return BusinessKey(fields: fields, includesSubjectCode: subjectCode)
    }

    private static let ruleKinds = [
        "conditional_required", "date_order", "not_in_future", "placeholder", "fill_from", "amount_matches_text",
    ]

    private mutating func rules(_ node: Node?) -> [CatalogueRule] {
        guard let node else { return [] }
        guard case .sequence(let items) = node else {
            report(node, "'rules' must be a list")
            return []
        }
        var result: [CatalogueRule] = []
        for item in items {
            guard let map = mapping(item, "a rule") else { continue }
            guard let id = identifier(map, "id"), let kind = string(map, "kind") else { continue }
            if let earlier = ruleMarks[id] {
                report(map["id"], "duplicate rule id '\(id)' (first declared on line \(earlier.line))")
                continue
            }
            ruleMarks[id] = item.mark
            let rule: CatalogueRule?
            switch kind {
            case "conditional_required":
                checkKeys(map, allowed: ["id", "kind", "when", "require"], in: "conditional_required rule")
                let condition = self.condition(map["when"], rule: id)
                let fields = stringList(map, "require")
                rule = condition.flatMap { condition in fields.map { .conditionalRequired(id: id, condition: condition, fields: $0) } }
            case "date_order":
                checkKeys(map, allowed: ["id", "kind", "earlier", "later"], in: "date_order rule")
                let earlier = string(map, "earlier")
                let later = string(map, "later")
                rule = earlier.flatMap { earlier in later.map { .dateOrder(id: id, earlier: earlier, later: $0) } }
            case "not_in_future":
                checkKeys(map, allowed: ["id", "kind", "field"], in: "not_in_future rule")
                rule = string(map, "field").map { .notInFuture(id: id, field: $0) }
            case "placeholder":
                checkKeys(map, allowed: ["id", "kind", "field", "value", "when", "require"], in: "placeholder rule")
                let field = string(map, "field")
                let value = string(map, "value")
                let condition = self.condition(map["when"], rule: id)
                let requires = optionalStringList(map, "require") ?? []
                if let field, let value, let condition {
                    rule = .placeholder(id: id, field: field, value: value, condition: condition, requires: requires)
                } else {
                    rule = nil
                }
            case "fill_from":
                checkKeys(map, allowed: ["id", "kind", "field", "source"], in: "fill_from rule")
                let field = string(map, "field")
                let source = string(map, "source")
                rule = field.flatMap { field in source.map { .fillFrom(id: id, field: field, source: $0) } }
            case "amount_matches_text":
                checkKeys(map, allowed: ["id", "kind", "amount_field", "text_field"], in: "amount_matches_text rule")
                let amount = string(map, "amount_field")
                let text = string(map, "text_field")
                rule = amount.flatMap { amount in text.map { .amountMatchesText(id: id, amountField: amount, textField: $0) } }
            default:
                report(map["kind"], "unknown rule kind '\(kind)'; expected one of \(Self.ruleKinds.joined(separator: ", "))")
                rule = nil
            }
            if let rule { result.append(rule) }
        }
        return result
    }

    private mutating func condition(_ node: Node?, rule: String) -> FieldCondition? {
        guard let node else {
            report(nil as Mark?, "rule '\(rule)' needs a 'when' condition")
            return nil
        }
        guard let map = mapping(node, "'when'") else { return nil }
        checkKeys(map, allowed: ["field", "any_of", "contains"], in: "condition")
        guard let field = string(map, "field"), let anyOf = stringList(map, "any_of") else { return nil }
        return FieldCondition(field: field, anyOf: anyOf, containsMatch: optionalBool(map, "contains") ?? false)
    }

    // MARK: - Policy sections

    private mutating func sensitivity(_ node: Node?) -> Sensitivity? {
        guard let node else {
            report(nil as Mark?, "missing key 'sensitivity': give a grade (1–4) and a classification label")
            return nil
        }
        guard let map = mapping(node, "'sensitivity'") else { return nil }
        checkKeys(map, allowed: ["grade", "label"], in: "sensitivity")
        guard let grade = int(map, "grade"), let label = string(map, "label") else { return nil }
        guard Sensitivity.grades.contains(grade) else {
            report(map["grade"], "sensitivity grade \(grade) is outside 1–4")
            return nil
        }
        return Sensitivity(grade: grade, label: label)
    }

    private mutating func timeliness(_ node: Node?) -> Timeliness? {
        guard let node, let map = mapping(node, "'timeliness'") else { return nil }
        checkKeys(map, allowed: ["date_field", "max_days"], in: "timeliness")
        guard let field = string(map, "date_field"), let days = int(map, "max_days") else { return nil }
        if days <= 0 { report(map["max_days"], "timeliness max_days must be positive") }
        return Timeliness(dateField: field, maximumDays: days)
    }

    private mutating func publicityPeriod(_ node: Node?) -> PublicityPeriod? {
        guard let node, let map = mapping(node, "'publicity_period'") else { return nil }
        checkKeys(map, allowed: ["min_months", "max_months", "end_field"], in: "publicity_period")
        guard let minimum = int(map, "min_months"), let maximum = int(map, "max_months") else { return nil }
        if minimum < 0 || maximum < minimum {
            report(node, "publicity period \(minimum)–\(maximum) months is not a valid range")
        }
        return PublicityPeriod(minimumMonths: minimum, maximumMonths: maximum, endField: optionalString(map, "end_field"))
    }

    private mutating func sourceUnits(_ node: Node?) -> [SourceUnitRef] {
        guard let node else { return [] }
        if node.isScalarNode, node.string == "any" { return [] }
        guard case .sequence(let items) = node else {
            report(node, "'source_units' must be 'any' or a list of {code, name}")
            return []
        }
        var result: [SourceUnitRef] = []
        for item in items {
            guard let map = mapping(item, "a source unit") else { continue }
            checkKeys(map, allowed: ["code", "name"], in: "source unit")
            guard let code = string(map, "code"), let name = string(map, "name") else { continue }
            if !UnifiedSocialCreditCode.isValid(code) {
                report(map["code"], "source unit code '\(code)' is not a valid unified social credit code")
            }
            result.append(SourceUnitRef(code: code, name: name))
        }
        return result
    }

    private mutating func retention(_ node: Node?) -> RetentionClass? {
        guard let node else {
            report(nil as Mark?, "missing key 'log_retention_years' (2, 3 or 5)")
            return nil
        }
        guard let years = node.int, let retention = RetentionClass(rawValue: years) else {
            report(node, "log_retention_years must be 2, 3 or 5, not '\(node.string ?? "?")'")
            return nil
        }
        return retention
    }

    // MARK: - References

    /// What a resource refers to, as far as it parsed.
    struct ResourceReferences {
        var fields: [FieldDefinition]
        var codeLists: [String: CodeList]
        var subject: SubjectBinding?
        var businessKey: BusinessKey?
        var sourceUnitField: String?
        var rules: [CatalogueRule]
        var timeliness: Timeliness?
        var publicityPeriod: PublicityPeriod?
        var perBatchApproval: Bool
        var shareType: ShareType?
    }

    /// Checks that every field a resource names is declared and has a type that fits its use.
    mutating func checkReferences(_ resource: ResourceReferences) {
        let fieldsByID = Dictionary(resource.fields.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let declared = Set(fieldMarks.keys)
        func exists(_ id: String, _ mark: Mark?, _ context: String) -> FieldDefinition? {
            guard declared.contains(id) else {
                report(mark, "\(context) names field '\(id)', which the resource does not define")
                return nil
            }
            return fieldsByID[id]
        }
        var headers: [String: String] = [:]
        for field in resource.fields {
            let mark = fieldMarks[field.id]
            if let list = field.codeList, resource.codeLists[list] == nil {
                report(mark, "field '\(field.id)' uses code list '\(list)', which is not defined under 'code_lists'")
            }
            if let typeField = field.documentTypeField {
                _ = exists(typeField, mark, "field '\(field.id)' document_type_field")
            }
            for header in [field.id, field.label] + field.aliases {
                if let owner = headers[header], owner != field.id {
                    report(mark, "header '\(header)' of field '\(field.id)' already means field '\(owner)'")
                }
                headers[header] = field.id
            }
        }
        for id in resource.businessKey?.fields ?? [] {
            _ = exists(id, keyMarks["business_key"], "the business key")
        }
        if let subject = resource.subject {
            for id in subject.codeFields + [subject.nameField] + [subject.typeField].compactMap({ $0 }) {
                _ = exists(id, keyMarks["subject"], "'subject'")
            }
        }
        if let field = resource.sourceUnitField {
            _ = exists(field, keyMarks["source_unit_field"], "'source_unit_field'")
        }
        if let timeliness = resource.timeliness,
            let field = exists(timeliness.dateField, keyMarks["timeliness"], "'timeliness'"), field.type != .date
        {
            report(keyMarks["timeliness"], "timeliness date_field '\(field.id)' is a \(field.type.rawValue), not a date")
        }
        if let end = resource.publicityPeriod?.endField {
            _ = exists(end, keyMarks["publicity_period"], "'publicity_period'")
        }
        if resource.perBatchApproval, let shareType = resource.shareType, shareType != .conditional {
            report(keyMarks["per_batch_approval"], "per_batch_approval applies only to conditional resources; this one is \(shareType.rawValue)")
        }
        for rule in resource.rules {
            let mark = ruleMarks[rule.id]
            for id in rule.referencedFields {
                _ = exists(id, mark, "rule '\(rule.id)'")
            }
            if case .dateOrder(_, let earlier, let later) = rule {
                for id in [earlier, later] where fieldsByID[id].map({ $0.type != .date }) ?? false {
                    report(mark, "rule '\(rule.id)' compares '\(id)', which is not a date field")
                }
            }
        }
    }

    // MARK: - Scalars

    private mutating func mapping(_ node: Node, _ what: String) -> YAMLMapping? {
        guard case .mapping(let map) = node else {
            report(node, "\(what) must be a mapping of keys to values")
            return nil
        }
        return YAMLMapping(map)
    }

    private mutating func checkKeys(_ map: YAMLMapping, allowed: Set<String>, in context: String) {
        var seen: Set<String> = []
        for (key, _) in map.pairs {
            guard let name = key.string else { continue }
            if !allowed.contains(name) {
                report(key, "unknown key '\(name)' in \(context); expected one of \(allowed.sorted().joined(separator: ", "))")
            }
            if !seen.insert(name).inserted {
                report(key, "key '\(name)' appears twice in \(context)")
            }
        }
    }

    private mutating func string(_ map: YAMLMapping, _ key: String) -> String? {
        guard let node = map[key] else {
            report(map.mark, "missing key '\(key)'")
            return nil
        }
        guard node.isScalarNode, let value = node.string, !value.isEmpty else {
            report(node, "'\(key)' must be a non-empty text value")
            return nil
        }
        return value
    }

    private mutating func identifier(_ map: YAMLMapping, _ key: String) -> String? {
        guard let value = string(map, key) else { return nil }
        guard value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            report(map[key], "'\(value)' is not a valid identifier (ASCII letters, digits and _ only)")
            return nil
        }
        return value
    }

    private mutating func optionalString(_ map: YAMLMapping, _ key: String) -> String? {
        guard map[key] != nil else { return nil }
        return string(map, key)
    }

    private mutating func int(_ map: YAMLMapping, _ key: String) -> Int? {
        guard let node = map[key] else {
            report(map.mark, "missing key '\(key)'")
            return nil
        }
        guard node.isScalarNode, let value = node.int else {
            report(node, "'\(key)' must be a whole number")
            return nil
        }
        return value
    }

    private mutating func optionalInt(_ map: YAMLMapping, _ key: String) -> Int? {
        guard map[key] != nil else { return nil }
        return int(map, key)
    }

    private mutating func optionalBool(_ map: YAMLMapping, _ key: String) -> Bool? {
        guard let node = map[key] else { return nil }
        guard node.isScalarNode, let value = node.bool else {
            report(node, "'\(key)' must be true or false")
            return nil
        }
        return value
    }

    private mutating func stringList(_ map: YAMLMapping, _ key: String) -> [String]? {
        guard let node = map[key] else {
            report(map.mark, "missing key '\(key)'")
            return nil
        }
        guard case .sequence(let items) = node else {
            report(node, "'\(key)' must be a list")
            return nil
        }
        var result: [String] = []
        for item in items {
            guard item.isScalarNode, let value = item.string, !value.isEmpty else {
                report(item, "'\(key)' must list text values")
                continue
            }
            result.append(value)
        }
        return result
    }

    private mutating func optionalStringList(_ map: YAMLMapping, _ key: String) -> [String]? {
        guard map[key] != nil else { return nil }
        return stringList(map, key)
    }

    private mutating func enumScalar<E: RawRepresentable & CaseIterable>(_ node: Node, _ type: E.Type, what: String) -> E?
    where E.RawValue == String {
        guard node.isScalarNode, let text = node.string else {
            report(node, "\(what) must be a text value")
            return nil
        }
        guard let value = E(rawValue: text) else {
            report(node, "\(what) '\(text)' is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return value
    }

    private mutating func enumValue<E: RawRepresentable & CaseIterable>(_ map: YAMLMapping, _ key: String, _ type: E.Type, what: String) -> E?
    where E.RawValue == String {
        guard let node = map[key] else {
            report(map.mark, "missing key '\(key)' (\(what): one of \(E.allCases.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        return enumScalar(node, type, what: what)
    }

    private mutating func optionalEnum<E: RawRepresentable & CaseIterable>(_ map: YAMLMapping, _ key: String, _ type: E.Type, what: String) -> E?
    where E.RawValue == String {
        guard let node = map[key] else { return nil }
        return enumScalar(node, type, what: what)
    }

    private mutating func enumList<E: RawRepresentable & CaseIterable>(_ map: YAMLMapping, _ key: String, _ type: E.Type, what: String) -> [E]?
    where E.RawValue == String {
        guard let node = map[key] else {
            report(map.mark, "missing key '\(key)'")
            return nil
        }
        guard case .sequence(let items) = node, !items.isEmpty else {
            report(node, "'\(key)' must be a non-empty list")
            return nil
        }
        var result: [E] = []
        var failed = false
        for item in items {
            if let value = enumScalar(item, type, what: what) { result.append(value) } else { failed = true }
        }
        return failed ? nil : result
    }
}

/// A YAML mapping whose values are looked up by key name. Yams compares the key nodes one by one
/// (resolving tags) on every lookup, which made reading the catalogue most of a command's start.
struct YAMLMapping {
    /// In the file's order.
    let pairs: [(key: Node, value: Node)]
    let mark: Mark?
    private let values: [String: Node]

    init(_ mapping: Node.Mapping) {
        pairs = mapping.map { ($0.key, $0.value) }
        mark = mapping.mark
        // Yams refuses a mapping that gives a key twice, so a name stands for one key.
        values = Dictionary(mapping.compactMap { key, value in key.string.map { ($0, value) } }, uniquingKeysWith: { _, later in later })
    }

    subscript(key: String) -> Node? {
        values[key]
    }
}

extension Node {
    var isScalarNode: Bool {
        if case .scalar = self { return true }
        return false
    }
}
