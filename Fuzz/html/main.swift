// libFuzzer target `fuzz-html`: HTML to text and terminal-safe text, over the SwiftPM-built BriefingText.
// `Tools/fuzz html` fuzzes it; an ordinary build replays the files given as arguments (see FuzzDriver).
//
// Checks, for any bytes: nothing crashes; `HTMLText.render` and `HTMLText.plainText` never emit a control
// character other than newline and tab (the renderer's promise); `TerminalText.sanitize` never leaves ESC,
// another C0 control, DEL or a C1 control (newline and tab only in multi-line mode), its output is
// `isSafe`, and sanitizing twice changes nothing.
import BriefingText
import FuzzDriver

/// The first forbidden scalar in `text`, if any.
func firstControl(_ text: String, allowing allowed: Set<Unicode.Scalar>) -> Unicode.Scalar? {
    text.unicodeScalars.first { scalar in
        !allowed.contains(scalar) && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
    }
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTML(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : count)
    let size = bytes.count
    // The first byte picks the wrap width (0: no wrapping), so layout with and without wrapping is fuzzed.
    let width = size > 0 ? Int(bytes[0] % 64) : 0
    let input = String(decoding: bytes.dropFirst(size > 0 ? 1 : 0), as: UTF8.self)
    let lines: Set<Unicode.Scalar> = ["\n", "\t"]

    let rendered = HTMLText.render(input, width: width == 0 ? nil : width)
    if let bad = firstControl(rendered.text, allowing: lines) {
        fatalError("render emitted control U+\(String(bad.value, radix: 16)) for \(input.debugDescription)")
    }
    for link in rendered.links {
        require(firstControl(link, allowing: []) == nil, "render emitted a control in a link for \(input.debugDescription)")
    }
    let plain = HTMLText.plainText(input)
    if let bad = firstControl(plain, allowing: lines) {
        fatalError("plainText emitted control U+\(String(bad.value, radix: 16)) for \(input.debugDescription)")
    }

    for singleLine in [false, true] {
        let safe = TerminalText.sanitize(input, singleLine: singleLine)
        if let bad = firstControl(safe, allowing: singleLine ? [] : lines) {
            fatalError("sanitize(singleLine: \(singleLine)) left U+\(String(bad.value, radix: 16)) for \(input.debugDescription)")
        }
        require(TerminalText.isSafe(safe, singleLine: singleLine), "sanitized text is not isSafe for \(input.debugDescription)")
        require(TerminalText.sanitize(safe, singleLine: singleLine) == safe, "sanitize is not idempotent for \(input.debugDescription)")
        require(TerminalText.isSafe(input, singleLine: singleLine) == (safe == input),
                "isSafe disagrees with sanitize for \(input.debugDescription)")
    }
    return 0
}

runFuzzTarget(fuzzHTML)
