import BriefingKit
import Foundation
import Yams

/// A scenario file that cannot be run, with where the problem is: `FILE:LINE:COLUMN: message`.
public struct ScenarioFileError: Error, Sendable, CustomStringConvertible {
    public var position: SourcePosition
    public var message: String
    public var description: String { "\(position): \(message)" }
}

/// Reads scenario files (YAML) into `Scenario` values, keeping line and column for every error.
///
/// Every member is checked: an unknown key, a device that was never declared or a value of the wrong kind
/// is an error naming its line, so a typo never turns into a step that silently does nothing. The rules
/// here and Schema/scenarios/scenario.schema.json describe the same format.
public enum ScenarioParser {
    public static func parse(file path: String) throws(ScenarioFileError) -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioFileError(position: SourcePosition(file: path, line: 1, column: 1), message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScenarioFileError(position: SourcePosition(file: path, line: 1, column: 1), message: "not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(ScenarioFileError) -> Scenario {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ScenarioFileError(position: position(of: error, file: file), message: "not valid YAML: \(problem(of: error))")
        } catch {
            throw ScenarioFileError(position: SourcePosition(file: file, line: 1, column: 1), message: "not valid YAML: \(error)")
        }
        guard let root else {
            throw ScenarioFileError(position: SourcePosition(file: file, line: 1, column: 1), message: "the file is empty")
        }
        var reader = Reader(file: file)
        return try reader.scenario(root)
    }

    private static func position(of error: YamlError, file: String) -> SourcePosition {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return SourcePosition(file: file, line: mark.line, column: mark.column)
        default:
            return SourcePosition(file: file, line: 1, column: 1)
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
             .composer(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        default:
            return "\(error)"
        }
    }
}

/// Durations as scenarios write them: `250ms`, `90s`, `5m`, `2h`, `3d`, with an optional sign.
public enum ScenarioDuration {
    public static func milliseconds(_ text: String) -> Int64? {
        // The same pattern as scenario.schema.json's "duration".
        guard text.range(of: #"^[+-]?[0-9]+([.][0-9]+)?(ms|s|m|h|d)$"#, options: .regularExpression) != nil else { return nil }
        let units: [(String, Double)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        var body = Substring(text)
        var sign = 1.0
        if body.first == "+" { body = body.dropFirst() } else if body.first == "-" { sign = -1; body = body.dropFirst() }
        for (suffix, factor) in units where body.hasSuffix(suffix) {
            guard let value = Double(body.dropLast(suffix.count)) else { return nil }
            return Int64((sign * value * factor).rounded())
        }
        return nil
    }
}

/// Walks the YAML node tree; each function reads one kind of member and throws at the node that is wrong.
private struct Reader {
    let file: String
    var declaredDevices: Set<String> = []

    init(file: String) { self.file = file }

    func at(_ node: Node) -> SourcePosition {
        let mark = node.mark
        return SourcePosition(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func fail(_ node: Node, _ message: String) -> ScenarioFileError {
        ScenarioFileError(position: at(node), message: message)
    }

    // MARK: Basic values

    func mapping(_ node: Node, _ what: String, allowed: Set<String>) throws(ScenarioFileError) -> [(key: String, keyNode: Node, value: Node)] {
        guard case .mapping(let mapping) = node else { throw fail(node, "\(what) must be a mapping") }
        var seen: Set<String> = []
        var pairs: [(String, Node, Node)] = []
        for (key, value) in mapping {
            guard case .scalar = key, let name = key.string else { throw fail(key, "\(what): keys must be text") }
            guard allowed.isEmpty || allowed.contains(name) else {
                throw fail(key, "\(what): unknown key '\(name)' (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
            guard seen.insert(name).inserted else { throw fail(key, "\(what): '\(name)' appears twice") }
            pairs.append((name, key, value))
        }
        return pairs
    }

    func string(_ node: Node, _ what: String) throws(ScenarioFileError) -> String {
        guard case .scalar(let scalar) = node else { throw fail(node, "\(what) must be text") }
        return scalar.string
    }

    func nonEmptyString(_ node: Node, _ what: String) throws(ScenarioFileError) -> String {
        let text = try string(node, what)
        guard !text.isEmpty else { throw fail(node, "\(what) must not be empty") }
        return text
    }

    func bool(_ node: Node, _ what: String) throws(ScenarioFileError) -> Bool {
        guard case .scalar = node, let value = node.bool else { throw fail(node, "\(what) must be true or false") }
        return value
    }

    func int(_ node: Node, _ what: String, minimum: Int = 0) throws(ScenarioFileError) -> Int {
        guard case .scalar = node, let value = node.int else { throw fail(node, "\(what) must be a whole number") }
        guard value >= minimum else { throw fail(node, "\(what) must be at least \(minimum)") }
        return value
    }

    func duration(_ node: Node, _ what: String) throws(ScenarioFileError) -> Int64 {
        guard case .scalar = node, let text = node.string, let ms = ScenarioDuration.milliseconds(text) else {
            throw fail(node, "\(what) must be a duration such as 250ms, 90s, 5m, 2h or 3d (with + or - for an offset)")
        }
        return ms
    }

    func strings(_ node: Node, _ what: String) throws(ScenarioFileError) -> [String] {
        if case .scalar = node { return [try nonEmptyString(node, what)] }
        guard case .sequence(let sequence) = node, !sequence.isEmpty else {
            throw fail(node, "\(what) must be a name or a non-empty list of names")
        }
        var names: [String] = []
        for item in sequence { names.append(try nonEmptyString(item, what)) }
        return names
    }

    func device(_ node: Node) throws(ScenarioFileError) -> String {
        let name = try nonEmptyString(node, "device")
        guard declaredDevices.contains(name) else {
            throw fail(node, "unknown device '\(name)' (declared: \(declaredDevices.sorted().joined(separator: ", ")))")
        }
        return name
    }

    func devices(_ node: Node) throws(ScenarioFileError) -> [String] {
        let names = try strings(node, "devices")
        for name in names where !declaredDevices.contains(name) {
            throw fail(node, "unknown device '\(name)' (declared: \(declaredDevices.sorted().joined(separator: ", ")))")
        }
        return names
    }

    func field(_ node: Node) throws(ScenarioFileError) -> StateField {
        let text = try string(node, "field")
        guard let field = StateField(rawValue: text) else { throw fail(node, "field must be read or starred, not '\(text)'") }
        return field
    }

    func policy(_ node: Node) throws(ScenarioFileError) -> [StateField: ConflictRule] {
        var rules: [StateField: ConflictRule] = [:]
        for (key, keyNode, value) in try mapping(node, "policy", allowed: ["read", "starred"]) {
            let name = try string(value, "policy.\(key)")
            guard let rule = ConflictRule(name: name) else {
                throw fail(value, "policy.\(key): unknown rule '\(name)' (last-writer-wins, server-wins, client-wins, read-wins)")
            }
            _ = keyNode
            rules[StateField(rawValue: key)!] = rule
        }
        return rules
    }

    func json(_ node: Node) throws(ScenarioFileError) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain {
                if node.null != nil { return .null }
                if let value = node.bool { return .bool(value) }
                if let value = node.int { return .number(Double(value)) }
                if let value = node.float { return .number(value) }
            }
            return .string(scalar.string)
        case .sequence(let sequence):
            var values: [JSONValue] = []
            for item in sequence { values.append(try json(item)) }
            return .array(values)
        case .mapping:
            var members: [String: JSONValue] = [:]
            for (key, _, value) in try mapping(node, "fault", allowed: []) { members[key] = try json(value) }
            return .object(members)
        case .alias:
            throw fail(node, "YAML aliases are not supported in scenarios")
        }
    }

    // MARK: The scenario

    mutating func scenario(_ root: Node) throws(ScenarioFileError) -> Scenario {
        let members = try mapping(root, "a scenario", allowed: ["name", "description", "server", "devices", "steps"])
        var name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        var summary: String?
        var server = ServerSetup()
        var devices: [DeviceSpec] = []
        var steps: [Step] = []
        // Devices first: steps name them.
        guard let deviceNode = members.first(where: { $0.key == "devices" }) else {
            throw fail(root, "a scenario needs 'devices' (a list of at least one device)")
        }
        devices = try deviceList(deviceNode.value)
        guard let stepNode = members.first(where: { $0.key == "steps" }) else {
            throw fail(root, "a scenario needs 'steps' (a list of at least one step)")
        }
        for (key, _, value) in members {
            switch key {
            case "name": name = try nonEmptyString(value, "name")
            case "description": summary = try string(value, "description")
            case "server": server = try serverSetup(value)
            default: break
            }
        }
        guard case .sequence(let sequence) = stepNode.value, !sequence.isEmpty else {
            throw fail(stepNode.value, "steps must be a non-empty list")
        }
        for item in sequence { steps.append(try step(item)) }
        return Scenario(name: name, file: file, summary: summary, server: server, devices: devices, steps: steps)
    }

    mutating func deviceList(_ node: Node) throws(ScenarioFileError) -> [DeviceSpec] {
        guard case .sequence(let sequence) = node, !sequence.isEmpty else {
            throw fail(node, "devices must be a non-empty list")
        }
        var devices: [DeviceSpec] = []
        for item in sequence {
            var device: DeviceSpec
            if case .scalar = item {
                device = DeviceSpec(name: try nonEmptyString(item, "device name"), position: at(item))
            } else {
                let members = try mapping(item, "a device", allowed: ["name", "policy", "clock"])
                guard let nameNode = members.first(where: { $0.key == "name" }) else { throw fail(item, "a device needs a name") }
                device = DeviceSpec(name: try nonEmptyString(nameNode.value, "device name"), position: at(item))
                for (key, _, value) in members {
                    switch key {
                    case "policy": device.policy = try policy(value)
                    case "clock": device.clockOffsetMs = try duration(value, "clock")
                    default: break
                    }
                }
            }
            guard device.name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]*$"#, options: .regularExpression) != nil else {
                throw fail(item, "device name '\(device.name)' must be letters, digits, '.', '_' or '-'")
            }
            guard declaredDevices.insert(device.name).inserted else { throw fail(item, "device '\(device.name)' is declared twice") }
            devices.append(device)
        }
        return devices
    }

    func serverSetup(_ node: Node) throws(ScenarioFileError) -> ServerSetup {
        var setup = ServerSetup()
        for (key, _, value) in try mapping(node, "server", allowed: ["articles", "page_size", "policy"]) {
            switch key {
            case "articles": setup.articles = try articles(value)
            case "page_size": setup.pageSize = try int(value, "page_size", minimum: 1)
            case "policy": setup.policy = try policy(value)
            default: break
            }
        }
        return setup
    }

    func articles(_ node: Node) throws(ScenarioFileError) -> [ArticleSpec] {
        let items: [Node]
        if case .sequence(let sequence) = node { items = Array(sequence) } else { items = [node] }
        guard !items.isEmpty else { throw fail(node, "articles must not be empty") }
        var articles: [ArticleSpec] = []
        for item in items {
            if case .scalar = item {
                let id = try nonEmptyString(item, "article id")
                articles.append(ArticleSpec(id: id, title: id, text: nil))
                continue
            }
            let members = try mapping(item, "an article", allowed: ["id", "title", "text"])
            guard let idNode = members.first(where: { $0.key == "id" }) else { throw fail(item, "an article needs an id") }
            var article = ArticleSpec(id: try nonEmptyString(idNode.value, "article id"), title: "", text: nil)
            article.title = article.id
            for (key, _, value) in members {
                switch key {
                case "title": article.title = try string(value, "title")
                case "text": article.text = try string(value, "text")
                default: break
                }
            }
            articles.append(article)
        }
        return articles
    }

    // MARK: Steps

    static let stepKinds: Set<String> = [
        "sync", "mark", "offline", "online", "skew", "advance", "kill", "publish", "edit", "delete", "server_mark",
        "expire_tokens", "restart", "fault", "clear_faults", "push", "sleep", "expect",
    ]

    func step(_ node: Node) throws(ScenarioFileError) -> Step {
        let members = try mapping(node, "a step", allowed: Self.stepKinds)
        guard members.count == 1, let (kind, _, value) = members.first else {
            throw fail(node, "a step has exactly one kind (\(Self.stepKinds.sorted().joined(separator: ", ")))")
        }
        let action: Step.Action
        switch kind {
        case "sync": action = try sync(value)
        case "mark": action = try mark(value)
        case "offline": action = .offline(try devices(value))
        case "online": action = .online(try devices(value))
        case "skew":
            let members = try mapping(value, "skew", allowed: ["device", "offset", "freeze"])
            let offset = try members.first { $0.key == "offset" }.map { (pair) throws(ScenarioFileError) in try duration(pair.value, "skew.offset") }
            let freeze = try members.first { $0.key == "freeze" }.map { (pair) throws(ScenarioFileError) in try duration(pair.value, "skew.freeze") }
            guard (offset == nil) != (freeze == nil) else { throw fail(value, "skew takes offset or freeze (one of them)") }
            action = .skew(device: try device(try required(members, "device", in: value, "skew")), offsetMs: offset, freezeMs: freeze)
        case "advance":
            let members = try mapping(value, "advance", allowed: ["device", "by"])
            let by = try duration(try required(members, "by", in: value, "advance"), "advance.by")
            action = .advance(device: try members.first { $0.key == "device" }.map { (pair) throws(ScenarioFileError) in try device(pair.value) }, byMs: by)
        case "kill": action = try kill(value)
        case "publish", "edit": action = .publish(try articles(value))
        case "delete": action = .delete(try strings(value, "delete"))
        case "server_mark": action = try serverMark(value)
        case "expire_tokens": action = .expireTokens
        case "restart": action = .restart
        case "clear_faults": action = .clearFaults
        case "fault":
            let fault = try json(value)
            guard case .object(let members) = fault, case .string? = members["kind"] else {
                throw fail(value, "fault must be a mapping with a 'kind' (as POST /admin/faults takes it)")
            }
            action = .fault(fault)
        case "push": action = try push(value)
        case "sleep": action = .sleep(ms: max(0, try duration(value, "sleep")))
        case "expect": action = .expect(try expectation(value))
        default: throw fail(node, "unknown step '\(kind)'")
        }
        return Step(action: action, position: at(node))
    }

    func required(_ members: [(key: String, keyNode: Node, value: Node)], _ key: String, in node: Node, _ what: String)
        throws(ScenarioFileError) -> Node {
        guard let member = members.first(where: { $0.key == key }) else { throw fail(node, "\(what) needs '\(key)'") }
        return member.value
    }

    func sync(_ node: Node) throws(ScenarioFileError) -> Step.Action {
        if case .mapping = node {
            let members = try mapping(node, "sync", allowed: ["devices", "full", "timeout", "retry_budget", "expect"])
            var devices: [String]?
            var full = false
            var timeout: Double?
            var budget: Double?
            var outcome: SyncOutcome?
            for (key, _, value) in members {
                switch key {
                case "devices": devices = try deviceSelection(value)
                case "full": full = try bool(value, "sync.full")
                case "timeout": timeout = Double(try duration(value, "sync.timeout")) / 1000
                case "retry_budget": budget = Double(try duration(value, "sync.retry_budget")) / 1000
                case "expect":
                    let text = try string(value, "sync.expect")
                    guard let parsed = SyncOutcome(rawValue: text) else { throw fail(value, "sync.expect must be ok or error") }
                    outcome = parsed
                default: break
                }
            }
            return .sync(devices: devices, full: full, timeout: timeout, retryBudget: budget, outcome: outcome)
        }
        return .sync(devices: try deviceSelection(node), full: false, timeout: nil, retryBudget: nil, outcome: nil)
    }

    func deviceSelection(_ node: Node) throws(ScenarioFileError) -> [String]? {
        if case .scalar = node, node.string == "all" { return nil }
        return try devices(node)
    }

    func mark(_ node: Node) throws(ScenarioFileError) -> Step.Action {
        let members = try mapping(node, "mark", allowed: ["device", "action", "articles"])
        let deviceName = try device(try required(members, "device", in: node, "mark"))
        let actionNode = try required(members, "action", in: node, "mark")
        let text = try string(actionNode, "mark.action")
        guard let action = MarkAction(rawValue: text) else { throw fail(actionNode, "mark.action must be read, unread, star or unstar") }
        let articlesNode = try required(members, "articles", in: node, "mark")
        if case .scalar = articlesNode, articlesNode.string == "all" {
            return .mark(device: deviceName, action: action, articles: nil)
        }
        return .mark(device: deviceName, action: action, articles: try strings(articlesNode, "mark.articles"))
    }

    func kill(_ node: Node) throws(ScenarioFileError) -> Step.Action {
        let members = try mapping(node, "kill", allowed: ["device", "after_pages", "during"])
        let deviceName = try device(try required(members, "device", in: node, "kill"))
        if let pages = members.first(where: { $0.key == "after_pages" }) {
            guard !members.contains(where: { $0.key == "during" }) else { throw fail(node, "kill takes after_pages or during, not both") }
            return .kill(device: deviceName, at: .afterPages(try int(pages.value, "kill.after_pages", minimum: 1)))
        }
        let during = try required(members, "during", in: node, "kill (after_pages: N or during: push)")
        guard try string(during, "kill.during") == "push" else { throw fail(during, "kill.during must be push") }
        return .kill(device: deviceName, at: .duringPush)
    }

    func serverMark(_ node: Node) throws(ScenarioFileError) -> Step.Action {
        let members = try mapping(node, "server_mark", allowed: ["device", "article", "field", "value", "at", "base_rev"])
        let name = try nonEmptyString(try required(members, "device", in: node, "server_mark"), "server_mark.device")
        let article = try nonEmptyString(try required(members, "article", in: node, "server_mark"), "server_mark.article")
        let field = try field(try required(members, "field", in: node, "server_mark"))
        let value = try bool(try required(members, "value", in: node, "server_mark"), "server_mark.value")
        let offset = try members.first { $0.key == "at" }.map { (pair) throws(ScenarioFileError) in try duration(pair.value, "server_mark.at") } ?? 0
        let baseRev = try members.first { $0.key == "base_rev" }.map { (pair) throws(ScenarioFileError) in try int(pair.value, "server_mark.base_rev") }
        return .serverMark(device: name, article: article, field: field, value: value, offsetMs: offset, baseRev: baseRev)
    }

    func push(_ node: Node) throws(ScenarioFileError) -> Step.Action {
        let members = try mapping(node, "push", allowed: ["key", "mutations", "expect_status", "expect_results"])
        let key = try nonEmptyString(try required(members, "key", in: node, "push"), "push.key")
        let list = try required(members, "mutations", in: node, "push")
        guard case .sequence(let sequence) = list, !sequence.isEmpty else { throw fail(list, "push.mutations must be a non-empty list") }
        var mutations: [RawMutation] = []
        for item in sequence {
            let fields = try mapping(item, "a mutation", allowed: ["id", "article", "field", "value", "device", "at"])
            mutations.append(RawMutation(
                mutationID: try nonEmptyString(try required(fields, "id", in: item, "a mutation"), "mutation id"),
                article: try nonEmptyString(try required(fields, "article", in: item, "a mutation"), "mutation article"),
                field: try field(try required(fields, "field", in: item, "a mutation")),
                value: try bool(try required(fields, "value", in: item, "a mutation"), "mutation value"),
                device: try nonEmptyString(try required(fields, "device", in: item, "a mutation"), "mutation device"),
                offsetMs: try fields.first { $0.key == "at" }.map { (pair) throws(ScenarioFileError) in try duration(pair.value, "mutation at") } ?? 0))
        }
        let status = try members.first { $0.key == "expect_status" }.map { (pair) throws(ScenarioFileError) in try int(pair.value, "push.expect_status", minimum: 100) }
        var results: [String]?
        if let node = members.first(where: { $0.key == "expect_results" })?.value {
            let names = try strings(node, "push.expect_results")
            for name in names where !["applied", "duplicate", "conflict", "gone"].contains(name) {
                throw fail(node, "push.expect_results: '\(name)' is not applied, duplicate, conflict or gone")
            }
            results = names
        }
        return .push(key: key, mutations: mutations, expectStatus: status, expectResults: results)
    }

    // MARK: Expectations

    func expectation(_ node: Node) throws(ScenarioFileError) -> Expectation {
        var expectation = Expectation()
        let members = try mapping(node, "expect", allowed: [])
        guard !members.isEmpty else { throw fail(node, "expect must name at least one device, server or converged") }
        for (key, keyNode, value) in members {
            switch key {
            case "converged": expectation.converged = try bool(value, "converged")
            case "server": expectation.server = try serverExpectation(value)
            default:
                guard declaredDevices.contains(key) else {
                    throw fail(keyNode, "expect: '\(key)' is not a declared device, 'server' or 'converged'")
                }
                expectation.devices.append((key, try deviceExpectation(value)))
            }
        }
        return expectation
    }

    func deviceExpectation(_ node: Node) throws(ScenarioFileError) -> DeviceExpectation {
        var expectation = DeviceExpectation()
        for (key, _, value) in try mapping(node, "a device expectation", allowed: ["articles", "pending", "conflicts", "warnings", "no_warnings"]) {
            switch key {
            case "articles": expectation.articles = try articleExpectations(value, server: false)
            case "pending": expectation.pending = try int(value, "pending")
            case "conflicts":
                if case .scalar = value {
                    expectation.conflictCount = try int(value, "conflicts")
                } else {
                    expectation.conflicts = try conflictExpectations(value)
                }
            case "warnings": expectation.warnings = try strings(value, "warnings")
            case "no_warnings": expectation.noWarnings = try bool(value, "no_warnings")
            default: break
            }
        }
        return expectation
    }

    func conflictExpectations(_ node: Node) throws(ScenarioFileError) -> [ConflictExpectation] {
        guard case .sequence(let sequence) = node else { throw fail(node, "conflicts must be a count or a list of entries") }
        var entries: [ConflictExpectation] = []
        for item in sequence {
            let members = try mapping(item, "a conflict entry", allowed: ["article", "field", "winner", "rule", "value"])
            var entry = ConflictExpectation(article: try nonEmptyString(try required(members, "article", in: item, "a conflict entry"), "article"))
            for (key, _, value) in members {
                switch key {
                case "field": entry.field = try field(value).rawValue
                case "winner": entry.winner = try nonEmptyString(value, "winner")
                case "rule":
                    // The conflict rules, or what the store logs for other decisions (a delete against a star).
                    let text = try nonEmptyString(value, "rule")
                    entry.rule = ConflictRule(name: text)?.rawValue ?? text
                case "value": entry.value = try bool(value, "value")
                default: break
                }
            }
            entries.append(entry)
        }
        return entries
    }

    func articleExpectations(_ node: Node, server: Bool) throws(ScenarioFileError) -> [(id: String, expectation: ArticleExpectation)] {
        var result: [(String, ArticleExpectation)] = []
        let allowed: Set<String> = server
            ? ["read", "starred", "state", "title", "read_by", "starred_by", "revision"]
            : ["read", "starred", "state", "title"]
        for (id, _, value) in try mapping(node, "articles", allowed: []) {
            var expectation = ArticleExpectation()
            if case .scalar = value {
                expectation.presence = try presence(value, server: server)
            } else {
                for (key, _, member) in try mapping(value, "article \(id)", allowed: allowed) {
                    switch key {
                    case "read": expectation.read = try bool(member, "read")
                    case "starred": expectation.starred = try bool(member, "starred")
                    case "state": expectation.presence = try presence(member, server: server)
                    case "title": expectation.title = try string(member, "title")
                    case "read_by": expectation.readBy = try nonEmptyString(member, "read_by")
                    case "starred_by": expectation.starredBy = try nonEmptyString(member, "starred_by")
                    case "revision": expectation.revision = try int(member, "revision", minimum: 1)
                    default: break
                    }
                }
            }
            result.append((id, expectation))
        }
        return result
    }

    func presence(_ node: Node, server: Bool) throws(ScenarioFileError) -> Presence {
        let text = try string(node, "state")
        guard let presence = Presence(rawValue: text), !(server && presence == .archived) else {
            throw fail(node, server ? "state must be present or absent" : "state must be present, archived or absent")
        }
        return presence
    }

    func serverExpectation(_ node: Node) throws(ScenarioFileError) -> ServerExpectation {
        var expectation = ServerExpectation()
        for (key, _, value) in try mapping(node, "a server expectation", allowed: ["articles", "mutations"]) {
            switch key {
            case "articles": expectation.articles = try articleExpectations(value, server: true)
            case "mutations":
                for (name, _, count) in try mapping(value, "mutations", allowed: []) {
                    guard name.range(of: #"^[a-z_]+$"#, options: .regularExpression) != nil else {
                        throw fail(value, "mutations: '\(name)' is not a counter name")
                    }
                    expectation.counters.append((name, try int(count, "mutations.\(name)")))
                }
            default: break
            }
        }
        return expectation
    }
}
