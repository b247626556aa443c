import Foundation

/// The `main` of a fuzz target: one function from input bytes to 0, run by libFuzzer or over files.
///
/// Built by `Tools/fuzz` (`-sanitize=fuzzer,address -DFUZZING`), it hands `test` to libFuzzer with the
/// command-line arguments (`-max_total_time=…`, corpus directories). In an ordinary build it replays the
/// files named as arguments (a directory: every file in it, in name order) once each, so the targets build
/// and run with every `swift build` and a test can replay the seed corpus. A failed check traps either way.
public func runFuzzTarget(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    #if FUZZING
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
    #else
    var replayed = 0
    for path in CommandLine.arguments.dropFirst() {
        for file in inputFiles(at: path) {
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("cannot read \(file)\n".utf8))
                exit(66)
            }
            _ = data.withUnsafeBytes { raw in test(raw.bindMemory(to: UInt8.self).baseAddress, raw.count) }
            replayed += 1
        }
    }
    print("replayed \(replayed) inputs")
    exit(0)
    #endif
}

/// `path` itself, or the files in it when it is a directory.
func inputFiles(at path: String) -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
        return [path]
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return names.sorted().map { (path as NSString).appendingPathComponent($0) }
}

#if FUZZING
/// libFuzzer's entry point for a fuzzer with its own `main` (SwiftPM's executable already has one).
@_extern(c, "LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif
