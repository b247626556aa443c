import Testing
@testable import BriefingText

@Suite("Wrap width and markers from the environment")
struct TerminalEnvironmentTests {
    private func width(_ environment: [String: String], terminal: Int?) -> Int {
        TerminalEnvironment(environment: environment, terminalColumns: terminal).wrapWidth
    }

    @Test func columnsWinsOverTheTerminalWhenItIsAPositiveNumber() {
        #expect(width(["COLUMNS": "42"], terminal: 100) == 42)
        #expect(width(["COLUMNS": "132"], terminal: nil) == 132)
    }

    @Test func anInvalidColumnsFallsBackToTheTerminalThenTo80() {
        for value in ["", "0", "-3", "wide", "80x", " 60"] {
            #expect(width(["COLUMNS": value], terminal: 70) == 70, "COLUMNS=\(value)")
            #expect(width(["COLUMNS": value], terminal: nil) == 80, "COLUMNS=\(value)")
        }
        #expect(width([:], terminal: nil) == 80)
    }

    @Test func theLocaleIsUTF8OnlyWhenTheVariableInEffectNamesUTF8() {
        #expect(TerminalEnvironment.localeIsUTF8(["LANG": "en_CA.UTF-8"]))
        #expect(TerminalEnvironment.localeIsUTF8(["LANG": "C.UTF-8"]))
        #expect(TerminalEnvironment.localeIsUTF8(["LANG": "de_DE.utf8@euro"]))
        #expect(!TerminalEnvironment.localeIsUTF8([:]))
        #expect(!TerminalEnvironment.localeIsUTF8(["LANG": "C"]))
        #expect(!TerminalEnvironment.localeIsUTF8(["LANG": "POSIX"]))
        #expect(!TerminalEnvironment.localeIsUTF8(["LANG": "en_US"]))
        #expect(!TerminalEnvironment.localeIsUTF8(["LANG": "fr_FR.ISO-8859-1"]))
    }

    @Test func lcAllThenLcCtypeThenLangDecideAndEmptyOnesAreSkipped() {
        #expect(!TerminalEnvironment.localeIsUTF8(["LC_ALL": "C", "LC_CTYPE": "en_US.UTF-8", "LANG": "en_US.UTF-8"]))
        #expect(TerminalEnvironment.localeIsUTF8(["LC_CTYPE": "en_US.UTF-8", "LANG": "C"]))
        #expect(!TerminalEnvironment.localeIsUTF8(["LC_ALL": "", "LC_CTYPE": "POSIX", "LANG": "en_US.UTF-8"]))
        #expect(TerminalEnvironment.localeIsUTF8(["LC_ALL": "", "LC_CTYPE": "", "LANG": "en_US.UTF-8"]))
    }

    @Test func markersFollowTheLocale() {
        #expect(TerminalEnvironment(environment: ["LANG": "C"], terminalColumns: nil).markers == .ascii)
        #expect(TerminalEnvironment(environment: ["LANG": "en_US.UTF-8"], terminalColumns: nil).markers == .unicode)
    }

    @Test func asciiMarkersDrawListBulletsAsAsterisks() {
        let text = HTMLText.render("<ul><li>canola</li><li>pork<ul><li>ribs</li></ul></li></ul>", markers: .ascii).text
        #expect(text == "  * canola\n  * pork\n      * ribs")
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII })
    }
}
