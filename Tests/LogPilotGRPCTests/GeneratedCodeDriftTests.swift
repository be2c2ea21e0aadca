import Foundation
import Testing

/// The committed protoc-c code (Sources/CLogPilotProto) and descriptor tables
/// (Sources/LogPilotGRPC/Generated/DescriptorSet.swift) must match what scripts/gen-proto.sh makes from proto/.
/// Needs protoc, protoc-c and python3 (scripts/setup.sh installs them); a missing tool fails the test.
struct GeneratedCodeDriftTests {
    /// The package root: three levels above this file (Tests/LogPilotGRPCTests/<file>), symlinks resolved.
    static let packageRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func generatedCodeIsUpToDate() throws {
        let script = Self.packageRoot.appendingPathComponent("scripts/gen-proto.sh")
        try #require(
            FileManager.default.isExecutableFile(atPath: script.path),
            "scripts/gen-proto.sh not found or not executable at \(script.path)"
        )
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", script.path, "--check"]
        process.currentDirectoryURL = Self.packageRoot
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(
            process.terminationReason == .exit && process.terminationStatus == 0,
            "scripts/gen-proto.sh --check exited with \(process.terminationStatus):\n\(text)"
        )
    }
}
