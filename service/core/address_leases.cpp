#include "core/address_leases.h"

#include <chrono>

#include <fmt/format.h>

#include "core/inet.h"
#include "core/sqlite_statement.h"

namespace zenith::core {

namespace {

std::unexpected<Error> dbError(sqlite3* db, std::string_view what)
{
    return fail(ErrorCode::BackendFailed, fmt::format("registry: {}: {}", what, sqlite3_errmsg(db)));
}

// How each family's leases are kept: IPv4 addresses as numbers in `leases`,
// IPv6 ones as their RFC 5952 text in `leases6` (SQLite has no 128-bit
// integer; one spelling per address keeps the key unique).
struct Family4 {
    using Address = uint32_t;
    using Leases = Ipv4Leases;
    static constexpr const char* kSelect = "SELECT address, machine FROM leases WHERE pool = ?1";
    static constexpr const char* kInsert =
        "INSERT OR IGNORE INTO leases (pool, address, machine, time_usec) VALUES (?1, ?2, ?3, ?4)";
    static void bind(SqliteStatement& st, int i, Address a) { st.bind(i, a); }
    static std::optional<Address> column(const SqliteStatement& st, int i) { return st.columnU32(i); }
    static std::string text(Address a) { return formatIpv4(a); }
};

struct Family6 {
    using Address = Ipv6Address;
    using Leases = Ipv6Leases;
    static constexpr const char* kSelect = "SELECT address, machine FROM leases6 WHERE pool = ?1";
    static constexpr const char* kInsert =
        "INSERT OR IGNORE INTO leases6 (pool, address, machine, time_usec) VALUES (?1, ?2, ?3, ?4)";
    static void bind(SqliteStatement& st, int i, Address a) { st.bind(i, formatIpv6(a)); }
    static std::optional<Address> column(const SqliteStatement& st, int i) { return parseIpv6(st.columnText(i)); }
    static std::string text(Address a) { return formatIpv6(a); }
};

template <typename F>
Result<typename F::Leases> readLeases(sqlite3* db, const std::string& pool)
{
    SqliteStatement st;
    if (st.prepare(db, F::kSelect) != SQLITE_OK)
        return dbError(db, "reading leases");
    st.bind(1, pool);
    typename F::Leases out;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
        // Only written by leaseWith; a row that does not read back (edited
        // by hand) fails the read rather than free its address silently.
        auto a = F::column(st, 0);
        if (!a)
            return fail(ErrorCode::BackendFailed, fmt::format("registry: a lease of pool {} is not an address", pool));
        out.emplace(*a, st.columnText(1));
    }
    if (rc != SQLITE_DONE)
        return dbError(db, "reading leases");
    return out;
}

int64_t nowUsec()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// Pick and record in one registry transaction (under the registry's lock):
// two creates never pick the same address, and a refused pick records
// nothing.
template <typename F, typename Pick>
Result<typename F::Address> leaseWith(Registry& registry, const std::string& pool, const std::string& machine,
                                      Pick pick)
{
    typename F::Address leased{};
    auto r = registry.transaction([&](sqlite3* db) -> Result<void> {
        auto current = readLeases<F>(db, pool);
        if (!current)
            return std::unexpected(current.error());
        auto address = pick(*current);
        if (!address)
            return std::unexpected(address.error());
        SqliteStatement st;
        if (st.prepare(db, F::kInsert) != SQLITE_OK)
            return dbError(db, "recording a lease");
        st.bind(1, pool);
        F::bind(st, 2, *address);
        st.bind(3, machine);
        st.bind(4, nowUsec());
        if (st.step() != SQLITE_DONE)
            return dbError(db, fmt::format("recording the lease of {} for {}", F::text(*address), machine));
        leased = *address;
        return {};
    });
    if (!r)
        return std::unexpected(r.error());
    return leased;
}

template <typename F>
Result<typename F::Leases> leasesOf(Registry& registry, const std::string& pool)
{
    typename F::Leases out;
    auto r = registry.transaction([&](sqlite3* db) -> Result<void> {
        auto l = readLeases<F>(db, pool);
        if (!l)
            return std::unexpected(l.error());
        out = std::move(*l);
        return {};
    });
    if (!r)
        return std::unexpected(r.error());
    return out;
}

}  // namespace

Result<uint32_t> AddressLeases::leaseNext(const Ipv4Pool& pool, const std::string& machine)
{
    return leaseWith<Family4>(registry_, pool.name, machine,
                              [&](const Ipv4Leases& current) { return nextFreeIpv4(pool, current); });
}

Result<uint32_t> AddressLeases::lease(const Ipv4Pool& pool, uint32_t address, const std::string& machine)
{
    return leaseWith<Family4>(registry_, pool.name, machine, [&](const Ipv4Leases& current) {
        return checkRequestedIpv4(pool, address, current, machine);
    });
}

Result<uint32_t> AddressLeases::leaseLastOctet(const Ipv4Pool& pool, unsigned octet, const std::string& machine)
{
    return leaseWith<Family4>(registry_, pool.name, machine, [&](const Ipv4Leases& current) {
        return ipv4FromLastOctet(pool, octet, current, machine);
    });
}

Result<Ipv4Leases> AddressLeases::leases(const std::string& pool) const { return leasesOf<Family4>(registry_, pool); }

Result<Ipv6Address> AddressLeases::leaseNext6(const Ipv6Pool& pool, const std::string& machine)
{
    return leaseWith<Family6>(registry_, pool.name, machine,
                              [&](const Ipv6Leases& current) { return nextFreeIpv6(pool, current); });
}

Result<Ipv6Address> AddressLeases::lease6(const Ipv6Pool& pool, Ipv6Address address, const std::string& machine)
{
    return leaseWith<Family6>(registry_, pool.name, machine, [&](const Ipv6Leases& current) {
        return checkRequestedIpv6(pool, address, current, machine);
    });
}

Result<Ipv6Leases> AddressLeases::leases6(const std::string& pool) const { return leasesOf<Family6>(registry_, pool); }

Result<void> AddressLeases::release(const std::string& machine)
{
    return registry_.transaction([&](sqlite3* db) -> Result<void> {
        for (const char* sql : {"DELETE FROM leases WHERE machine = ?1", "DELETE FROM leases6 WHERE machine = ?1"}) {
            SqliteStatement st;
            if (st.prepare(db, sql) != SQLITE_OK)
                return dbError(db, "releasing leases");
            st.bind(1, machine);
            if (st.step() != SQLITE_DONE)
                return dbError(db, fmt::format("releasing the leases of {}", machine));
        }
        return {};
    });
}

}  // namespace zenith::core
