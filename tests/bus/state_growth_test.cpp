// An outsider cannot grow the daemon's state. Anyone may call the bus, and
// every refusal is logged and audited: once, a few hundred refused calls
// with 1 MiB names grew the state directory and the log by gigabytes. Now
// what a refusal writes is cut and escaped, refusals of one uid are
// rate-limited, and the audit trail has a retention policy.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <sdbus-c++/sdbus-c++.h>

#include "child_process.h"
#include "daemon_view.h"
#include "hostile_text.h"
#include "sandbox_env.h"

namespace zenith::bustest {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kMiB = 1024 * 1024;

uint64_t databaseBytes()
{
    const std::string db = sandboxVar("ZENITH_STATE_DIR") + "/zenith.db";
    return fileSize(db) + fileSize(db + "-wal") + fileSize(db + "-shm");
}

// One value from the registry, read with sqlite3 (the daemon keeps it open
// in WAL mode, which allows a reader).
std::string query(const std::string& sql)
{
    auto r = runProgram({"sqlite3", sandboxVar("ZENITH_STATE_DIR") + "/zenith.db", sql}, rootUser(), 30s);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    while (!r.out.empty() && r.out.back() == '\n')
        r.out.pop_back();
    return r.out;
}

// A valid SSH key line of about 16 KiB: passes validation, so the request
// reaches polkit (and is denied there), carrying about 1.6 MiB in all.
std::string bigKey(int i)
{
    return "ssh-ed25519 AAAA" + std::string(16000, static_cast<char>('A' + i % 26)) + " key" + std::to_string(i);
}

TEST(StateGrowth, AThousandHugeRefusedCallsLeaveStateAndLogSmall)
{
    const std::string log = sandboxVar("ZENITH_DAEMON_LOG");
    const uint64_t dbBefore = databaseBytes();
    const uint64_t logBefore = fileSize(log);
    const std::string auditBefore = query("SELECT COALESCE(MAX(id), 0) FROM audit");

    std::string report = runAs(outsiderUser(), [] {
        auto connection = sdbus::createSystemBusConnection();
        auto proxy = sdbus::createProxy(*connection, "org.zenith.Provisioner", "/org/zenith/Provisioner");
        const std::string huge(kMiB, 'n');
        std::vector<std::string> keys;
        for (int i = 0; i < 100; ++i)
            keys.push_back(bigKey(i));
        int answered = 0;
        std::string failures;
        for (int i = 0; i < 1000; ++i) {
            auto call = proxy->createMethodCall("org.zenith.Provisioner.Manager",
                                                i % 5 == 3 ? "DestroyMachine" : "CreateMachine");
            std::map<std::string, sdbus::Variant> spec;
            switch (i % 5) {
            case 0: call << huge << std::string("nspawn") << spec << uint64_t{0}; break;  // the name
            case 1: call << std::string("growth") << huge << spec << uint64_t{0}; break;  // the backend
            case 2:  // a spec key
                spec.emplace(huge, sdbus::Variant(std::string("x")));
                call << std::string("growth") << std::string("nspawn") << spec << uint64_t{0};
                break;
            case 3: call << huge << uint64_t{1}; break;
            default:  // valid, so polkit is asked, and says no
                spec.emplace("ssh_authorized_keys", sdbus::Variant(keys));
                call << "growth-" + std::to_string(i) << std::string("nspawn") << spec << uint64_t{0};
            }
            try {
                proxy->callMethod(call, 10'000'000);
                failures += "call " + std::to_string(i) + " was accepted\n";
            } catch (const sdbus::Error& e) {
                if (e.getName() == "org.freedesktop.DBus.Error.Timeout" ||
                    e.getName() == "org.freedesktop.DBus.Error.NoReply")
                    failures += "call " + std::to_string(i) + ": no answer\n";
                else
                    ++answered;
            }
        }
        return "answered=" + std::to_string(answered) + "\n" + failures;
    }, std::chrono::seconds(600));

    EXPECT_EQ(report, "answered=1000\n");
    const uint64_t dbAfter = databaseBytes();
    const uint64_t logAfter = fileSize(log);
    // The database with its WAL (checkpointed every MiB) and shared memory.
    EXPECT_LT(dbAfter, dbBefore + 3 * kMiB) << "database grew from " << dbBefore << " to " << dbAfter << " bytes";
    EXPECT_LT(dbAfter, 8 * kMiB) << "database is " << dbAfter << " bytes";
    EXPECT_LT(logAfter, logBefore + 1 * kMiB) << "log grew from " << logBefore << " to " << logAfter << " bytes";

    // What was audited is cut and escaped, and rate-limited: far fewer rows
    // than calls, none holding the raw argument.
    const std::string since = " FROM audit WHERE id > " + auditBefore;
    EXPECT_LT(std::stoi(query("SELECT COUNT(*)" + since)), 200);
    EXPECT_LE(std::stoi(query("SELECT COALESCE(MAX(LENGTH(machine)), 0)" + since)), 100);
    EXPECT_LE(std::stoi(query("SELECT COALESCE(MAX(LENGTH(detail)), 0)" + since)), 600);
    EXPECT_LE(std::stoi(query("SELECT COALESCE(MAX(LENGTH(backend)), 0)" + since)), 100);
    // Refusals past the rate limit are still counted in the trail: the count
    // is written within RequestGate's flush delay (10 s) of the last one.
    const std::string outsiders = since + " AND outcome = 'suppressed' AND uid = " + std::to_string(outsiderUser().uid);
    std::string suppressed = "0";
    for (int i = 0; i < 30 && suppressed == "0"; ++i) {
        suppressed = query("SELECT COUNT(*)" + outsiders);
        if (suppressed == "0")
            std::this_thread::sleep_for(1s);
    }
    EXPECT_NE(suppressed, "0") << "no count of the outsider's refusals held back by the rate limit";

    // And it still answers at once.
    auto started = std::chrono::steady_clock::now();
    auto c = connectClient(5s);
    EXPECT_TRUE(c.machines().has_value());
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

}  // namespace
}  // namespace zenith::bustest
