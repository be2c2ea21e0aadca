import Foundation
import LogPilotCore
import Prometheus

/// The `/metrics` page: the swift-metrics registry, the scrape-time gauges (storage sizes, readiness, `process_*`)
/// and a `# HELP` line for every family (swift-metrics has no help text; Prometheus tooling wants one).
enum MetricsPage {
    static func render(
        registry: PrometheusCollectorRegistry,
        engine: StorageEngine,
        volume: (free: Int64, total: Int64)?,
        ready: Bool,
        startTimeSeconds: Double
    ) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(32 * 1024)
        registry.emit(into: &buffer)
        ProcessMetrics.write(into: &buffer, startTimeSeconds: startTimeSeconds)

        var text = ""
        func gauge(_ name: String, _ value: Int64) {
            text += ProcessMetrics.gauge(name, Double(value))
        }
        if let volume {
            gauge("logpilot_storage_free_bytes", volume.free)
            gauge("logpilot_storage_volume_bytes", volume.total)
        }
        gauge("logpilot_storage_database_bytes", databaseBytes(path: engine.configuration.path))
        gauge("logpilot_storage_queue_max_records", Int64(engine.configuration.maxQueuedRecords))
        gauge("logpilot_storage_queue_max_bytes", Int64(engine.configuration.maxQueuedBytes))
        gauge("logpilot_ready", ready ? 1 : 0)
        buffer.append(contentsOf: text.utf8)
        return withHelp(buffer)
    }

    /// Bytes of the database on disk: the main file plus its WAL.
    static func databaseBytes(path: String) -> Int64 {
        var total: Int64 = 0
        for file in [path, path + "-wal"] {
            if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber {
                total += size.int64Value
            }
        }
        return total
    }

    /// Inserts `# HELP` before every `# TYPE` line that lacks one.
    static func withHelp(_ page: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(page.count + 8 * 1024)
        var previousWasHelp = false
        var lineStart = 0
        let typePrefix = Array("# TYPE ".utf8)
        let helpPrefix = Array("# HELP ".utf8)
        while lineStart < page.count {
            var lineEnd = lineStart
            while lineEnd < page.count, page[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            let line = page[lineStart..<lineEnd]
            if line.starts(with: typePrefix), !previousWasHelp {
                let rest = line.dropFirst(typePrefix.count)
                let name = String(decoding: rest.prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self)
                output.append(contentsOf: "# HELP \(name) \(help[name] ?? "LogPilot metric \(name).")\n".utf8)
            }
            previousWasHelp = line.starts(with: helpPrefix)
            output.append(contentsOf: line)
            output.append(UInt8(ascii: "\n"))
            lineStart = lineEnd + 1
        }
        return output
    }

    /// Help text of every family LogPilot exports (docs/metrics.md has the labels and their bounds).
    static let help: [String: String] = [
        "logpilot_logs_received_total": "Log records received and validated, by protocol, level and channel (channels beyond the cap count as other).",
        "logpilot_logs_stored_total": "Log records committed to SQLite.",
        "logpilot_logs_rejected_total": "Log records refused after their request was read, by protocol and reason.",
        "logpilot_requests_rejected_total": "Ingest requests refused before their records were read, by protocol and reason.",
        "logpilot_ingest_bytes_total": "Bytes of ingest request bodies or messages as received (compressed size for gzip), by protocol.",
        "logpilot_batch_records": "Records per ingest request.",
        "logpilot_storage_commit_duration_seconds": "Duration of one write transaction (BEGIN to COMMIT).",
        "logpilot_storage_commit_records": "Records written per transaction.",
        "logpilot_storage_queue_records": "Records waiting for the writer.",
        "logpilot_storage_queue_bytes": "Bytes of records waiting for the writer.",
        "logpilot_storage_queue_max_records": "Bound of the write queue in records (beyond 90 percent new writes get 429).",
        "logpilot_storage_queue_max_bytes": "Bound of the write queue in bytes.",
        "logpilot_storage_database_bytes": "Size of the SQLite database on disk, main file plus WAL.",
        "logpilot_storage_free_bytes": "Free bytes for unprivileged users on the volume holding the database.",
        "logpilot_storage_volume_bytes": "Total size of the volume holding the database.",
        "logpilot_storage_errors_total": "Failed write transactions, by SQLite result code.",
        "logpilot_retention_deleted_total": "Records deleted by retention (age or size).",
        "logpilot_ready": "1 when the server is ready for traffic (as /health/ready), else 0.",
        "logpilot_config_reloads_total": "Config file reloads, by result (success or failure).",
        "logpilot_build_info": "Build information; the value is always 1.",
        "http_requests_total": "REST requests answered, by method, route template and status code.",
        "http_request_duration_seconds": "REST request duration until the response head, by method and route template.",
        "grpc_server_started_total": "gRPC calls started on the server.",
        "grpc_server_handled_total": "gRPC calls completed, by status code.",
        "grpc_server_msg_received_total": "gRPC request messages received.",
        "grpc_server_msg_sent_total": "gRPC response messages sent.",
        "grpc_server_handling_seconds": "gRPC call duration from request headers to status.",
        "process_resident_memory_bytes": "Resident memory size in bytes.",
        "process_virtual_memory_bytes": "Virtual memory size in bytes.",
        "process_cpu_seconds_total": "Total user and system CPU time spent in seconds.",
        "process_open_fds": "Number of open file descriptors.",
        "process_max_fds": "Maximum number of open file descriptors.",
        "process_start_time_seconds": "Start time of the process since unix epoch in seconds.",
    ]
}
