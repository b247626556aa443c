import Foundation
import ArgumentParser
import BriefingStore
import BriefingSync
import BriefingText
#if canImport(Glibc)
import Glibc
#endif

/// The exit codes `briefing` documents (sysexits.h). The one place a number stands for an outcome.
enum ExitStatus: Int32 {
    case ok = 0
    case usage = 64
    case malformedData = 65
    case unknownArticle = 66
    case unavailable = 69
    case internalError = 70
    case cannotCreate = 73
    case storeUnreadable = 74
    case temporary = 75
    case authentication = 77
    case configuration = 78
}

/// A failure the CLI reports in one line and exits with a documented code.
struct Failure: Error {
    var message: String
    var status: ExitStatus

    static func usage(_ message: String) -> Failure { Failure(message: message, status: .usage) }
    static func config(_ message: String) -> Failure { Failure(message: message, status: .configuration) }
}

extension SyncError {
    /// What the CLI exits with, and the message with a hint that names the CLI's own flags.
    var cliFailure: Failure {
        switch self {
        case .notConfigured(let message): Failure(message: message + "; run 'briefing init --server URL'", status: .configuration)
        case .unavailable: Failure(message: description, status: .unavailable)
        case .unauthorized(let message): Failure(message: message + "; check --token-file or BRIEFING_TOKEN", status: .authentication)
        case .malformed: Failure(message: description, status: .malformedData)
        case .busy: Failure(message: description, status: .temporary)
        case .cancelled: Failure(message: description, status: .temporary)
        case .store(let error): error.cliFailure
        }
    }
}

extension StoreError {
    var cliFailure: Failure {
        switch self {
        case .notInitialised: Failure(message: description + ": run 'briefing init --server URL' first", status: .configuration)
        case .newerSchema: Failure(message: description, status: .configuration)
        case .corrupt, .diskFull, .io, .readOnly: Failure(message: description, status: .storeUnreadable)
        case .busy, .syncInProgress: Failure(message: description, status: .temporary)
        case .unknownArticle: Failure(message: description, status: .unknownArticle)
        case .badQuery: Failure(message: description, status: .usage)
        case .database: Failure(message: description, status: .internalError)
        }
    }
}

/// Runs a command body, turning every known error into `briefing: error: …` on stderr and its exit code.
/// Messages may quote server text: they are made terminal-safe, and they never contain the token.
func guarded(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as Failure {
        throw exit(failure)
    } catch let error as SyncError {
        throw exit(error.cliFailure)
    } catch let error as StoreError {
        throw exit(error.cliFailure)
    } catch let error as ExitCode {
        throw error
    } catch {
        throw exit(Failure(message: "internal error: \(error)", status: .internalError))
    }
}

private func exit(_ failure: Failure) -> ExitCode {
    printError(failure.message)
    return ExitCode(failure.status.rawValue)
}

func printError(_ message: String) {
    let line = "briefing: error: " + TerminalText.sanitize(message, singleLine: true) + "\n"
    writeStandardError(line)
}

/// A one-line `briefing: warning: …` on stderr, for something the command worked around.
func printWarning(_ message: String) {
    writeStandardError("briefing: warning: " + TerminalText.sanitize(message, singleLine: true) + "\n")
}

/// Writes to stderr unbuffered, through the file descriptor rather than C's `stderr` (a global the Swift 6
/// compiler cannot prove is used safely from several threads).
func writeStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

/// Flushes what `print` buffered for stdout.
func flushStandardOutput() {
    fflush(nil)
}

var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
