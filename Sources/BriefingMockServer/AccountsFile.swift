import Foundation

/// An `--accounts` file that cannot be used; `exitCode` is the server's exit status for it.
public struct AccountsFileError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case unreadable, tooOpen, malformed }
    public var kind: Kind
    public var description: String
    /// 66 cannot read it, 78 others may read or write it, 65 a malformed line.
    public var exitCode: Int32 {
        switch kind {
        case .unreadable: 66
        case .tooOpen: 78
        case .malformed: 65
        }
    }
}

/// The `--accounts` file: which bearer token belongs to which account.
///
/// One account and one token per line, separated by white space: `alice  s3cret-token`. Several lines may
/// name the same account (one token per device); a token appears once. Blank lines and lines starting with
/// `#` are ignored. Account names are 1-64 of `A-Z a-z 0-9 . _ -`; tokens are printable ASCII without
/// spaces. The file holds secrets: it is refused when its group or others may read or write it (`chmod 600`).
public enum AccountsFile {
    public static func load(path: String) throws(AccountsFileError) -> [String: String] {
        var info = stat()
        guard stat(path, &info) == 0, let data = FileManager.default.contents(atPath: path) else {
            throw AccountsFileError(kind: .unreadable, description: "cannot read accounts file \(path)")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw AccountsFileError(kind: .tooOpen, description: String(
                format: "accounts file %@ holds tokens but its mode is %03o: others may read it (chmod 600 it)",
                path, Int(info.st_mode & 0o777)))
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    static func parse(_ text: String, path: String) throws(AccountsFileError) -> [String: String] {
        var accounts: [String: String] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            func malformed(_ reason: String) -> AccountsFileError {
                AccountsFileError(kind: .malformed, description: "accounts file \(path) line \(index + 1): \(reason)")
            }
            guard fields.count == 2 else { throw malformed("expected 'ACCOUNT TOKEN'") }
            let account = String(fields[0]), token = String(fields[1])
            guard (1...64).contains(account.count),
                  account.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || ".-_".unicodeScalars.contains($0)) })
            else { throw malformed("account names are 1-64 of A-Z a-z 0-9 . _ -") }
            guard token.unicodeScalars.allSatisfy({ (0x21...0x7e).contains($0.value) }) else {
                throw malformed("a token is printable ASCII without spaces")
            }
            guard accounts[token] == nil else { throw malformed("this token is already given to an account") }
            accounts[token] = account
        }
        guard !accounts.isEmpty else {
            throw AccountsFileError(kind: .malformed, description: "accounts file \(path) names no account")
        }
        return accounts
    }
}
