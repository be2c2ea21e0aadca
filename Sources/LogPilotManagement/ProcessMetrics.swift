#if canImport(Glibc)
import Glibc
#endif

/// `process_*` metrics in the Prometheus client conventions, read from /proc at scrape time (help texts: `MetricsPage`).
enum ProcessMetrics {
    static func write(into buffer: inout [UInt8], startTimeSeconds: Double) {
        var text = ""
        #if os(Linux)
        if let status = read("/proc/self/status") {
            for line in status.split(separator: "\n") {
                if line.hasPrefix("VmRSS:"), let kib = Double(line.split(separator: " ").dropFirst().first ?? "") {
                    text += gauge("process_resident_memory_bytes", kib * 1024)
                } else if line.hasPrefix("VmSize:"), let kib = Double(line.split(separator: " ").dropFirst().first ?? "") {
                    text += gauge("process_virtual_memory_bytes", kib * 1024)
                }
            }
        }
        if let stat = read("/proc/self/stat"), let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the command name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
            if fields.count > 13, let utime = Double(fields[11]), let stime = Double(fields[12]) {
                let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
                text += "# TYPE process_cpu_seconds_total counter\n"
                text += "process_cpu_seconds_total \((utime + stime) / ticks)\n"
            }
        }
        if let fds = try? countEntries("/proc/self/fd") {
            text += gauge("process_open_fds", Double(fds))
        }
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            text += gauge("process_max_fds", Double(limit.rlim_cur))
        }
        #endif
        text += gauge("process_start_time_seconds", startTimeSeconds)
        buffer.append(contentsOf: text.utf8)
    }

    static func gauge(_ name: String, _ value: Double) -> String {
        "# TYPE \(name) gauge\n\(name) \(value)\n"
    }

    private static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func countEntries(_ path: String) throws -> Int {
        guard let directory = opendir(path) else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while readdir(directory) != nil { count += 1 }
        return max(count - 2, 0)  // "." and ".."
    }
}
