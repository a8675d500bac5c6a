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

Result<Ipv4Leases> readLeases(sqlite3* db, const std::string& pool)
{
    SqliteStatement st;
    if (st.prepare(db, "SELECT address, machine FROM leases WHERE pool = ?1") != SQLITE_OK)
        return dbError(db, "reading leases");
    st.bind(1, pool);
    Ipv4Leases out;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW)
        out.emplace(st.columnU32(0), st.columnText(1));
    if (rc != SQLITE_DONE)
        return dbError(db, "reading leases");
    return out;
}

int64_t nowUsec()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

template <typename Pick>
Result<uint32_t> AddressLeases::leaseWith(const Ipv4Pool& pool, const std::string& machine, Pick pick)
{
    uint32_t leased = 0;
    auto r = registry_.transaction([&](sqlite3* db) -> Result<void> {
        auto current = readLeases(db, pool.name);
        if (!current)
            return std::unexpected(current.error());
        auto address = pick(*current);
        if (!address)
            return std::unexpected(address.error());
        SqliteStatement st;
        if (st.prepare(db, "INSERT OR IGNORE INTO leases (pool, address, machine, time_usec) VALUES (?1, ?2, ?3, ?4)") !=
            SQLITE_OK)
            return dbError(db, "recording a lease");
        st.bind(1, pool.name);
        st.bind(2, *address);
        st.bind(3, machine);
        st.bind(4, nowUsec());
        if (st.step() != SQLITE_DONE)
            return dbError(db, fmt::format("recording the lease of {} for {}", formatIpv4(*address), machine));
        leased = *address;
        return {};
    });
    if (!r)
        return std::unexpected(r.error());
    return leased;
}

Result<uint32_t> AddressLeases::leaseNext(const Ipv4Pool& pool, const std::string& machine)
{
    return leaseWith(pool, machine, [&](const Ipv4Leases& current) { return nextFreeIpv4(pool, current); });
}

Result<uint32_t> AddressLeases::lease(const Ipv4Pool& pool, uint32_t address, const std::string& machine)
{
    return leaseWith(pool, machine,
                     [&](const Ipv4Leases& current) { return checkRequestedIpv4(pool, address, current, machine); });
}

Result<uint32_t> AddressLeases::leaseLastOctet(const Ipv4Pool& pool, unsigned octet, const std::string& machine)
{
    return leaseWith(pool, machine,
                     [&](const Ipv4Leases& current) { return ipv4FromLastOctet(pool, octet, current, machine); });
}

Result<Ipv4Leases> AddressLeases::leases(const std::string& pool) const
{
    Ipv4Leases out;
    auto r = registry_.transaction([&](sqlite3* db) -> Result<void> {
        auto l = readLeases(db, pool);
        if (!l)
            return std::unexpected(l.error());
        out = std::move(*l);
        return {};
    });
    if (!r)
        return std::unexpected(r.error());
    return out;
}

Result<void> AddressLeases::release(const std::string& machine)
{
    return registry_.transaction([&](sqlite3* db) -> Result<void> {
        SqliteStatement st;
        if (st.prepare(db, "DELETE FROM leases WHERE machine = ?1") != SQLITE_OK)
            return dbError(db, "releasing leases");
        st.bind(1, machine);
        if (st.step() != SQLITE_DONE)
            return dbError(db, fmt::format("releasing the leases of {}", machine));
        return {};
    });
}

}  // namespace zenith::core
