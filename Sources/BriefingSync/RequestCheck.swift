import Foundation

/// What every transport refuses to put on the wire, and how it names a request in error messages.
public enum RequestCheck {
    /// A method or header name outside the HTTP token alphabet, or a value with CR, LF or NUL, could
    /// smuggle a second header or request onto the connection; such a request is refused before curl sees it.
    public static func validate(_ request: TransportRequest) throws(TransportError) {
        guard isToken(request.method) else {
            throw .refused("invalid HTTP method \(request.method.debugDescription)")
        }
        for (name, value) in request.headers {
            guard isToken(name) else { throw .refused("invalid header name \(name.debugDescription)") }
            guard !value.unicodeScalars.contains(where: { "\r\n\0".unicodeScalars.contains($0) }) else {
                // The value is left out on purpose: it may be a credential.
                throw .refused("invalid characters in the value of header \(name)")
            }
        }
    }

    /// The URL without user info, query or fragment: enough to tell which request failed, never a password
    /// or a token that happens to travel in the query.
    public static func redacted(_ url: URL) -> String {
        guard var parts = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return "<invalid URL>" }
        parts.user = nil
        parts.password = nil
        parts.query = nil
        parts.fragment = nil
        return parts.string ?? "<invalid URL>"
    }

    private static let tokenCharacters = CharacterSet(
        charactersIn: "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { tokenCharacters.contains($0) }
    }
}
