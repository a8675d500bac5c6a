// zenithctl nodes | storages | isos | templates | health | backups: what
// they print from the rows the daemon returned, as tables and as --json
// documents (a panel parses the latter: its keys are the contract).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cluster_commands.h"

namespace {

using namespace zenith::client;
using zenithctl::ImageOnNodes;

constexpr uint64_t kGiB = 1ull << 30;

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
        out.push_back(text.substr(start, end - start));
    return out;
}

TEST(ClientCliCluster, ImagesAreGroupedPerClusterWithTheirNodes)
{
    const std::vector<ImageInfo> rows{
        {"local:iso/debian-12.iso", "iso", "sim/pve1", 600 << 20},
        {"local:iso/Win11_24H2.iso", "iso", "sim/pve3", 5 * kGiB},
        {"local:iso/debian-12.iso", "iso", "sim/pve3", 600 << 20},
        {"local:iso/debian-12.iso", "iso", "other/pve1", 600 << 20},
        {"local:vztmpl/debian-12-standard.tar.zst", "vztmpl", "sim/pve1", 120 << 20},
        {"bare.iso", "iso", "pve9", 1},
    };
    auto isos = zenithctl::imagesOnNodes(rows, "iso");
    ASSERT_EQ(isos.size(), 4u);
    EXPECT_EQ(isos[0].id, "local:iso/debian-12.iso");
    EXPECT_EQ(isos[0].cluster, "sim");
    EXPECT_EQ(isos[0].nodes, (std::vector<std::string>{"pve1", "pve3"}));
    EXPECT_EQ(isos[1].id, "local:iso/Win11_24H2.iso");
    EXPECT_EQ(isos[2].cluster, "other");
    // A location without a cluster part is the node alone.
    EXPECT_EQ(isos[3].cluster, "");
    EXPECT_EQ(isos[3].nodes, std::vector<std::string>{"pve9"});

    auto doc = zenithctl::toJson(isos);
    ASSERT_TRUE(doc.is_array());
    EXPECT_EQ(doc[0]["nodes"], nlohmann::json({"pve1", "pve3"}));
    EXPECT_EQ(doc[1]["size"], 5 * kGiB);
    EXPECT_EQ(doc[1]["kind"], "iso");

    auto table = lines(zenithctl::toText(isos));
    ASSERT_EQ(table.size(), 5u);
    EXPECT_TRUE(table[0].starts_with("ID")) << table[0];
    EXPECT_NE(table[1].find("pve1,pve3"), std::string::npos) << table[1];
    EXPECT_NE(table[2].find("5G"), std::string::npos) << table[2];

    auto templates = zenithctl::imagesOnNodes(rows, "vztmpl");
    ASSERT_EQ(templates.size(), 1u);
    EXPECT_EQ(templates[0].nodes, std::vector<std::string>{"pve1"});
}

TEST(ClientCliCluster, NodesTableAndJson)
{
    const std::vector<NodeInfo> rows{{"sim", "pve1", "online", 16, 64 * kGiB, 16 * kGiB, 90061},
                                     {"sim", "pve2", "offline", 0, 0, 0, 0}};
    auto table = lines(zenithctl::toText(rows));
    ASSERT_EQ(table.size(), 3u);
    EXPECT_EQ(table[0].substr(0, table[0].find("  ")), "CLUSTER");
    EXPECT_NE(table[1].find("16G/64G (25%)"), std::string::npos) << table[1];
    EXPECT_NE(table[1].find("1d 1h"), std::string::npos) << table[1];
    EXPECT_NE(table[2].find("offline"), std::string::npos) << table[2];
    EXPECT_TRUE(table[2].ends_with("-")) << "an unknown uptime is '-': " << table[2];

    auto doc = zenithctl::toJson(rows);
    EXPECT_EQ(doc[0], (nlohmann::json{{"cluster", "sim"},
                                      {"node", "pve1"},
                                      {"status", "online"},
                                      {"cpus", 16},
                                      {"memory_total", 64 * kGiB},
                                      {"memory_used", 16 * kGiB},
                                      {"uptime", 90061}}));
}

TEST(ClientCliCluster, StoragesShowFreeSpaceAndContent)
{
    const std::vector<StorageInfo> rows{
        {"sim", "pve1", "nfs-backup", "nfs", {"backup"}, true, true, 4096 * kGiB, 2867 * kGiB},
        {"sim", "pve1", "local-lvm", "lvmthin", {"images", "rootdir"}, false, true, 400 * kGiB, 400 * kGiB}};
    auto table = lines(zenithctl::toText(rows));
    ASSERT_EQ(table.size(), 3u);
    EXPECT_NE(table[0].find("AVAIL"), std::string::npos);
    EXPECT_NE(table[1].find(" 2.8T "), std::string::npos) << table[1];
    EXPECT_TRUE(table[1].ends_with(" 4T")) << table[1];
    EXPECT_NE(table[2].find("images,rootdir"), std::string::npos) << table[2];
    auto doc = zenithctl::toJson(rows);
    EXPECT_EQ(doc[0]["avail"], 2867 * kGiB);
    EXPECT_EQ(doc[0]["shared"], true);
    EXPECT_EQ(doc[1]["content"], nlohmann::json({"images", "rootdir"}));
}

TEST(ClientCliCluster, BackupsShowTheirTimeAndTheFirstLineOfTheNotes)
{
    const std::vector<BackupInfo> rows{{"nfs-backup:backup/vzdump-lxc-9161-2025_06_01-12_00_00.tar.zst", "sim",
                                        "pve1", "nfs-backup", 300 << 20, 1748779200,
                                        "zenith: pod-backup (uid 1001)\nsecond line"}};
    auto table = lines(zenithctl::toText(rows));
    ASSERT_EQ(table.size(), 2u) << "notes of several lines stay in one row";
    EXPECT_NE(table[1].find("2025-06-01 12:00:00 UTC"), std::string::npos) << table[1];
    EXPECT_NE(table[1].find("zenith: pod-backup (uid 1001) ..."), std::string::npos) << table[1];
    auto doc = zenithctl::toJson(rows);
    EXPECT_EQ(doc[0]["ctime"], 1748779200);
    EXPECT_EQ(doc[0]["notes"], "zenith: pod-backup (uid 1001)\nsecond line");
    EXPECT_EQ(doc[0]["storage"], "nfs-backup");
}

TEST(ClientCliCluster, HealthAsLinesAndJson)
{
    MachineHealth h;
    h.status = "running";
    h.uptime = 3725;
    h.cpu = 0.5;
    h.cpus = 2;
    h.memory = 512ull << 20;
    h.memoryMax = 2 * kGiB;
    h.asOf = 1748779200;
    auto text = zenithctl::toText(h);
    EXPECT_NE(text.find("Status: running\n"), std::string::npos) << text;
    EXPECT_NE(text.find("Uptime: 1h 2m\n"), std::string::npos) << text;
    EXPECT_NE(text.find("CPU: 0.50 of 2 cpus\n"), std::string::npos) << text;
    EXPECT_NE(text.find("Memory: 512M/2G (25%)\n"), std::string::npos) << text;
    EXPECT_NE(text.find("Lock: -\n"), std::string::npos) << text;
    auto doc = zenithctl::toJson(h);
    for (const char* key : {"status", "uptime", "cpu", "cpus", "memory", "memory_max", "lock", "as_of"})
        EXPECT_TRUE(doc.contains(key)) << key;
    EXPECT_EQ(doc["memory_max"], 2 * kGiB);
}

TEST(ClientCliCluster, UptimeAndTimeFormats)
{
    EXPECT_EQ(zenithctl::formatUptime(42), "42s");
    EXPECT_EQ(zenithctl::formatUptime(423), "7m 3s");
    EXPECT_EQ(zenithctl::formatUptime(5 * 3600 + 12 * 60), "5h 12m");
    EXPECT_EQ(zenithctl::formatUptime(3 * 86400 + 4 * 3600 + 5), "3d 4h");
    EXPECT_EQ(zenithctl::formatUnixTime(0), "-");
    EXPECT_EQ(zenithctl::formatUnixTime(86400), "1970-01-02 00:00:00 UTC");
}

}  // namespace
