// Compares LogBatchJSONDecoder with Foundation's JSONDecoder on a batch of 1000 log objects.
//
// Usage: swift run -c release json-bench [rounds] [seconds-per-measurement]
// Each round measures every decoder once, interleaved, for the given time; medians are reported.
import Foundation
import LogPilotJSON

/// The Codable baseline: what a straightforward Foundation implementation would decode into.
struct CodableLogRecord: Decodable {
    var channel: String?
    var level: String?
    var message: String?
    var timestamp: String?
    var meta: [String: String]?
}

/// Builds the benchmark body: a JSON array of `count` log objects.
func makePayload(count: Int) -> [UInt8] {
    var text = "["
    for index in 0..<count {
        if index > 0 {
            text += ","
        }
        let words = "payment authorised for order \(100_000 + index) after fraud screening; "
            + "gateway=stripe latency_ms=\(index % 997) retries=0 customer tier gold, shipping express EU"
        text += #"{"channel":"orders-\#(index % 8)","level":"INFO","message":"\#(words)","#
        text += #""timestamp":"2026-11-23T10:00:00.123Z","#
        text += #""meta":{"host":"web-\#(index % 4)","requestId":"\#(String(index * 7919, radix: 16))-a1f3","#
        text += #""userId":"\#(12_345 + index % 100)"}}"#
    }
    text += "]"
    return Array(text.utf8)
}

/// Runs `body` repeatedly for about `seconds` and returns the number of runs per second.
func runsPerSecond(seconds: Double, _ body: () -> Int) -> Double {
    let clock = ContinuousClock()
    var runs = 0
    var checksum = 0
    let start = clock.now
    let budget = Duration.milliseconds(Int64(seconds * 1000))
    var elapsed = Duration.zero
    repeat {
        checksum &+= body()
        runs += 1
        elapsed = clock.now - start
    } while elapsed < budget
    if checksum == -1 {
        print("unreachable")  // Keeps the results alive.
    }
    let components = elapsed.components
    return Double(runs) / (Double(components.seconds) + Double(components.attoseconds) * 1e-18)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

let arguments = CommandLine.arguments.dropFirst()
let rounds = arguments.first.flatMap { Int($0) } ?? 5
let seconds = arguments.dropFirst().first.flatMap { Double($0) } ?? 1.0
let recordCount = 1000
let payload = makePayload(count: recordCount)
let payloadData = Data(payload)
let megabytes = Double(payload.count) / 1_000_000

// Sanity: both decoders see the same records.
let decoder = LogBatchJSONDecoder()
let ours = try payload.withUnsafeBytes { try decoder.decodeBatch($0) }
let theirs = try JSONDecoder().decode([CodableLogRecord].self, from: payloadData)
precondition(ours.count == recordCount && theirs.count == recordCount)
precondition(ours[17].message == theirs[17].message && ours[17].metaKeyCount == theirs[17].meta?.count)
print("payload: \(recordCount) objects, \(payload.count) bytes (\(payload.count / recordCount) bytes/object)")
print("rounds: \(rounds) x \(seconds) s per decoder, interleaved; medians reported\n")

var results: [String: [Double]] = [:]
let names = ["LogBatchJSONDecoder", "JSONParser (tree)", "Foundation JSONDecoder"]
for round in 1...rounds {
    results[names[0], default: []].append(
        runsPerSecond(seconds: seconds) {
            let records = try! payload.withUnsafeBytes { try decoder.decodeBatch($0) }
            return records.count
        }
    )
    results[names[1], default: []].append(
        runsPerSecond(seconds: seconds) {
            let value = try! JSONParser.parse(payload)
            return value.isNull ? 0 : 1
        }
    )
    results[names[2], default: []].append(
        runsPerSecond(seconds: seconds) {
            let records = try! JSONDecoder().decode([CodableLogRecord].self, from: payloadData)
            return records.count
        }
    )
    let line = names.map { "\($0): \(Int(results[$0]!.last! * Double(recordCount)))/s" }.joined(separator: ", ")
    print("round \(round): \(line)")
}

print("")
for name in names {
    let perSecond = median(results[name]!)
    let objects = Int(perSecond * Double(recordCount))
    let throughput = perSecond * megabytes
    print(
        name.padding(toLength: 24, withPad: " ", startingAt: 0)
            + "\(objects) objects/s".padding(toLength: 22, withPad: " ", startingAt: 0)
            + String(format: "%7.1f MB/s", throughput)
    )
}
let ratio = median(results[names[0]]!) / median(results[names[2]]!)
let roundRatios = zip(results[names[0]]!, results[names[2]]!).map { $0 / $1 }
print(String(format: "\nLogBatchJSONDecoder / JSONDecoder: %.1fx (ratio of medians)", ratio))
print(String(format: "LogBatchJSONDecoder / JSONDecoder: %.1fx (median of per-round ratios)", median(roundRatios)))
