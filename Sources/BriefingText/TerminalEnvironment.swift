/// The glyphs Briefing draws around article text: list bullets, the unread and starred marks, the
/// separator between byline parts.
///
/// `.unicode` (`•`, `★`, `·`) for a UTF-8 terminal, `.ascii` (`*`, `!`, `-`) for one whose locale
/// cannot show them; `TerminalEnvironment` picks one from the locale variables.
public struct TextMarkers: Sendable, Equatable {
    public var bullet: String
    public var unread: String
    public var starred: String
    public var separator: String

    public static let unicode = TextMarkers(bullet: "•", unread: "•", starred: "★", separator: "·")
    public static let ascii = TextMarkers(bullet: "*", unread: "*", starred: "!", separator: "-")

    public init(bullet: String, unread: String, starred: String, separator: String) {
        self.bullet = bullet
        self.unread = unread
        self.starred = starred
        self.separator = separator
    }
}

/// What the environment says about the terminal text is printed on: how wide to wrap, which markers.
///
/// Build it from the process environment and the terminal's own width
/// (`TerminalEnvironment(environment: ProcessInfo.processInfo.environment, terminalColumns: …)`) and
/// pass `wrapWidth` and `markers` to `HTMLText.render`.
public struct TerminalEnvironment: Sendable, Equatable {
    /// `$COLUMNS` when it is a positive whole number, else the terminal's width, else 80.
    public var wrapWidth: Int
    /// `.unicode` when the locale's character set is UTF-8, else `.ascii`.
    public var markers: TextMarkers

    public init(environment: [String: String], terminalColumns: Int?) {
        if let columns = environment["COLUMNS"].flatMap({ Int($0) }), columns > 0 {
            wrapWidth = columns
        } else if let terminalColumns, terminalColumns > 0 {
            wrapWidth = terminalColumns
        } else {
            wrapWidth = 80
        }
        markers = TerminalEnvironment.localeIsUTF8(environment) ? .unicode : .ascii
    }

    /// Whether the locale in effect for characters (LC_ALL, else LC_CTYPE, else LANG, as POSIX orders
    /// them; an empty variable counts as unset) names the UTF-8 character set. None set means the C
    /// locale, which is ASCII, as are `C` and `POSIX` themselves.
    public static func localeIsUTF8(_ environment: [String: String]) -> Bool {
        let name = ["LC_ALL", "LC_CTYPE", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        guard let name, let dot = name.firstIndex(of: ".") else { return false }
        let codeset = name[name.index(after: dot)...].prefix { $0 != "@" }
        return codeset.lowercased().filter { $0 != "-" && $0 != "_" } == "utf8"
    }
}
