import BriefingScenario
import BriefingTestSupport
import Foundation
import Testing

/// Files the JSON Schema rejects; the parser must reject each of them too.
let badScenarios: [String] = [
    "steps: [{sync: all}]\n",                                                      // no devices
    "devices: [phone]\n",                                                          // no steps
    "devices: []\nsteps: [{sync: all}]\n",                                         // empty devices
    "devices: [phone]\nsteps: []\n",                                               // empty steps
    "devices: [phone]\nsteps: [{sync: all}]\ncolour: red\n",                       // unknown top-level key
    "devices: ['bad name']\nsteps: [{sync: all}]\n",                               // device name
    "devices: [{name: phone, clock: fast}]\nsteps: [{sync: all}]\n",               // clock not a duration
    "devices: [{name: phone, policy: {read: newest-wins}}]\nsteps: [{sync: all}]\n", // unknown rule
    "devices: [{name: phone, policy: {title: lww}}]\nsteps: [{sync: all}]\n",     // unknown policy field
    "devices: [phone]\nsteps: [{sync: all, mark: {device: phone, action: read, articles: all}}]\n", // two kinds in a step
    "devices: [phone]\nsteps: [{jump: phone}]\n",                                  // unknown step
    "devices: [phone]\nsteps: [{mark: {device: phone, action: flag, articles: all}}]\n",
    "devices: [phone]\nsteps: [{mark: {device: phone, action: read}}]\n",          // no articles
    "devices: [phone]\nsteps: [{skew: {device: phone}}]\n",                        // neither offset nor freeze
    "devices: [phone]\nsteps: [{skew: {device: phone, offset: +1h, freeze: +1s}}]\n",
    "devices: [phone]\nsteps: [{kill: {device: phone, during: pull}}]\n",
    "devices: [phone]\nsteps: [{kill: {device: phone, after_pages: 0}}]\n",
    "devices: [phone]\nsteps: [{server_mark: {device: web, article: a, field: read}}]\n", // no value
    "devices: [phone]\nsteps: [{server_mark: {device: web, article: a, field: title, value: true}}]\n",
    "devices: [phone]\nsteps: [{fault: {status: 503}}]\n",                        // fault without kind
    "devices: [phone]\nsteps: [{push: {key: k, mutations: []}}]\n",
    "devices: [phone]\nsteps: [{push: {key: k, mutations: [{id: m, article: a, field: read, device: d}]}}]\n",
    "devices: [phone]\nsteps: [{push: {key: k, mutations: [{id: m, article: a, field: read, value: true, device: d}], expect_results: [won]}}]\n",
    "devices: [phone]\nsteps: [{sleep: 1.5.0s}]\n",
    "devices: [phone]\nsteps: [{sync: {devices: phone, expect: maybe}}]\n",
    "devices: [phone]\nsteps: [{expect: {phone: {pending: -1}}}]\n",
    "devices: [phone]\nsteps: [{expect: {phone: {articles: {a: {state: archived, colour: red}}}}}]\n",
    "devices: [phone]\nsteps: [{expect: {server: {articles: {a: archived}}}}]\n",  // the server archives nothing
    "devices: [phone]\nsteps: [{expect: {server: {mutations: {Applied: 1}}}}]\n",
    "devices: [phone]\nsteps: [{expect: {converged: sometimes}}]\n",
    "devices: [phone]\nsteps: [{expect: {phone: {conflicts: [{field: read}]}}}]\n", // entry without article
]

@Suite("The scenario format: parser and JSON Schema agree")
struct ScenarioSchemaTests {
    @Test func everyLibraryFileIsValidUnderTheJSONSchemaWithARealValidator() throws {
        let result = try python("""
            import glob, json, sys, yaml, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            bad = 0
            files = sorted(glob.glob(sys.argv[2] + '/*.yaml'))
            for name in files:
                for error in validator.iter_errors(yaml.safe_load(open(name))):
                    bad += 1
                    print(name, list(error.path), error.message[:200])
            print('checked', len(files), 'files,', bad, 'errors')
            sys.exit(1 if bad else 0)
            """, [libraryDirectory.appendingPathComponent("scenario.schema.json").path, libraryDirectory.path])
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(result.out.contains("checked \(libraryFiles.count) files, 0 errors"), "\(result.out)")
    }

    @Test func theParserRejectsEveryFileTheSchemaRejects() throws {
        let directory = try TemporaryDirectory()
        var paths: [String] = []
        for (index, text) in badScenarios.enumerated() {
            paths.append(try writeScenario(text, in: directory, name: "bad-\(index).yaml"))
        }
        // First the schema: each of these files must really be invalid under it.
        let schema = try python("""
            import json, sys, yaml, jsonschema
            validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
            for name in sys.argv[2:]:
                if validator.is_valid(yaml.safe_load(open(name))): print('schema accepts', name)
            """, [libraryDirectory.appendingPathComponent("scenario.schema.json").path] + paths)
        #expect(schema.status == 0, "\(schema.err)")
        #expect(schema.out.isEmpty, "\(schema.out)")
        // Then the parser, file by file.
        for (path, text) in zip(paths, badScenarios) {
            #expect(throws: ScenarioFileError.self, "the parser accepts \(text.debugDescription)") {
                try ScenarioParser.parse(file: path)
            }
        }
        // And each library file parses.
        for file in libraryFiles {
            _ = try ScenarioParser.parse(file: file)
        }
    }

    @Test func durationsReadAsTheSchemaDescribesThem() {
        #expect(ScenarioDuration.milliseconds("250ms") == 250)
        #expect(ScenarioDuration.milliseconds("+90s") == 90_000)
        #expect(ScenarioDuration.milliseconds("-1h") == -3_600_000)
        #expect(ScenarioDuration.milliseconds("1.5d") == 129_600_000)
        #expect(ScenarioDuration.milliseconds("5 m") == nil)
        #expect(ScenarioDuration.milliseconds(".5s") == nil)
        #expect(ScenarioDuration.milliseconds("10") == nil)
    }

    @Test func anErrorNamesTheLineAndColumnOfTheOffendingNode() {
        do {
            _ = try ScenarioParser.parse("devices: [phone]\nsteps:\n  - sync: phone\n  - mark: {device: tablet, action: read, articles: all}\n",
                                         file: "x.yaml")
            Issue.record("parsed")
        } catch {
            #expect(error.description == "x.yaml:4:20: unknown device 'tablet' (declared: phone)")
        }
    }
}
