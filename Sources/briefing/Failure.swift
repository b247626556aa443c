import ArgumentParser
import BriefingStore
import BriefingSync
import BriefingText
#if canImport(Glibc)
import Glibc
#endif

/// A failure the CLI reports in one line and exits with a documented code (sysexits).
struct Failure: Error {
    var message: String
    var code: Int32

    static func usage(_ message: String) -> Failure { Failure(message: message, code: 64) }
    static func config(_ message: String) -> Failure { Failure(message: message, code: 78) }
}

/// Runs a command body, turning every known error into `briefing: error: …` on stderr and its exit code.
/// Messages may quote server text: they are made terminal-safe, and they never contain the token.
func guarded(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as Failure {
        throw exit(failure.message, failure.code)
    } catch let error as SyncError {
        throw exit(error.description, error.exitCode)
    } catch let error as StoreError {
        throw exit(error.description, SyncError.store(error).exitCode)
    } catch let error as ExitCode {
        throw error
    } catch {
        throw exit("internal error: \(error)", 70)
    }
}

private func exit(_ message: String, _ code: Int32) -> ExitCode {
    printError(message)
    return ExitCode(code)
}

func printError(_ message: String) {
    let line = "briefing: error: " + TerminalText.sanitize(message, singleLine: true) + "\n"
    fputs(line, stderr)
}

var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
