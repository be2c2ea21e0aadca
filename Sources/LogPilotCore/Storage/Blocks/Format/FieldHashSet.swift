/// A set of 64-bit hashes that keeps its memory between blocks: open addressing with linear probing over a
/// power-of-two table (the keys are already well-mixed hashes, so their low bits index it directly).
struct FieldHashSet {
    private var slots: [UInt64] = [UInt64](repeating: 0, count: 1024)
    private var hasZero = false
    /// The members, in insertion order.
    private(set) var members: [UInt64] = []

    var count: Int { members.count }

    mutating func insert(_ key: UInt64) {
        if key == 0 {
            if !hasZero {
                hasZero = true
                members.append(0)
            }
            return
        }
        if (members.count + 1) * 2 > slots.count {
            grow()
        }
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: key) & mask
        while true {
            let slot = slots[index]
            if slot == key { return }
            if slot == 0 {
                slots[index] = key
                members.append(key)
                return
            }
            index = (index + 1) & mask
        }
    }

    /// Empties the set, keeping its capacity.
    mutating func removeAll() {
        if !members.isEmpty {
            for index in slots.indices { slots[index] = 0 }
        }
        members.removeAll(keepingCapacity: true)
        hasZero = false
    }

    private mutating func grow() {
        var larger = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = larger.count - 1
        for key in members where key != 0 {
            var index = Int(truncatingIfNeeded: key) & mask
            while larger[index] != 0 { index = (index + 1) & mask }
            larger[index] = key
        }
        slots = larger
    }
}
