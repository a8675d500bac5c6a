// The Proxmox client against the shared fake transport: request shapes,
// node failover, retries of what passes and none of what stays refused,
// cancel during a backoff, and the token secret only in its header.
#include <gtest/gtest.h>

#include <thread>

#include "drivers/proxmox/client/api_client.h"
#include "fake_http_transport.h"

namespace zenith::drivers::proxmox {
namespace {

using core::ErrorCode;
using testsupport::FakeHttpTransport;
using namespace std::chrono_literals;

constexpr const char* kSecret = "5f1e2d3c-aaaa-bbbb-cccc-0123456789ab";

class ProxmoxApiClientTest : public ::testing::Test {
protected:
    ClusterEndpoint endpoint()
    {
        return {"lab", {"https://pve1:8006", "https://pve2:8006", "https://pve3:8006"}, "mpanel@pve!automation",
                kSecret, 5000ms};
    }
    RetryPolicy recordingRetry()
    {
        RetryPolicy r;
        r.sleep = [this](std::chrono::milliseconds d, std::stop_token stop) {
            waits.push_back(d);
            return !stop.stop_requested();
        };
        return r;
    }
    FakeHttpTransport fake;
    std::vector<std::chrono::milliseconds> waits;
};

TEST(ProxmoxEncoding, PercentAndFormEncoding)
{
    EXPECT_EQ(percentEncode("name=eth0,bridge=vmbr0,ip=10.1.10.91/24"), "name%3Deth0%2Cbridge%3Dvmbr0%2Cip%3D10.1.10.91%2F24");
    EXPECT_EQ(percentEncode("a-b_c.d~e"), "a-b_c.d~e");
    EXPECT_EQ(percentEncode("ü &"), "%C3%BC%20%26");
    EXPECT_EQ(formEncode({{"newid", "9101"}, {"hostname", "migra-client-01"}, {"full", "1"}}),
              "newid=9101&hostname=migra-client-01&full=1");
    EXPECT_EQ(formEncode({}), "");
}

TEST_F(ProxmoxApiClientTest, ReadsGoAsQueryWritesAsFormWithTheTokenHeader)
{
    fake.on("GET", "/cluster/resources", {FakeHttpTransport::ok(R"([{"vmid":9000}])")});
    fake.on("POST", "/nodes/pve1/lxc/9000/clone", {FakeHttpTransport::ok(R"("UPID:pve1:...")")});
    ApiClient client(fake, endpoint(), recordingRetry());

    auto list = client.get("/cluster/resources", {{"type", "vm"}});
    ASSERT_TRUE(list) << list.error().message;
    EXPECT_EQ((*list)[0]["vmid"], 9000);
    auto upid = client.post("/nodes/pve1/lxc/9000/clone", {{"newid", "9101"}, {"hostname", "migra-client-01"}});
    ASSERT_TRUE(upid) << upid.error().message;
    EXPECT_EQ(*upid, "UPID:pve1:...");

    auto reqs = fake.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].method, "GET");
    EXPECT_EQ(reqs[0].url, "https://pve1:8006/api2/json/cluster/resources?type=vm");
    EXPECT_EQ(reqs[0].body, "");
    EXPECT_EQ(reqs[1].method, "POST");
    EXPECT_EQ(reqs[1].url, "https://pve1:8006/api2/json/nodes/pve1/lxc/9000/clone");
    EXPECT_EQ(reqs[1].body, "newid=9101&hostname=migra-client-01");
    for (const auto& r : reqs) {
        bool auth = false, contentType = false;
        for (const auto& [k, v] : r.headers) {
            if (k == "Authorization") {
                auth = true;
                EXPECT_EQ(v, std::string("PVEAPIToken=mpanel@pve!automation=") + kSecret);
            }
            contentType |= k == "Content-Type" && v == "application/x-www-form-urlencoded";
        }
        EXPECT_TRUE(auth);
        EXPECT_EQ(contentType, r.method == "POST");
        EXPECT_EQ(r.url.find(kSecret), std::string::npos);
        EXPECT_EQ(r.body.find(kSecret), std::string::npos);
    }
    EXPECT_EQ(client.requestsSent(), 2u);
}

TEST_F(ProxmoxApiClientTest, ANodeThatDoesNotAnswerIsSkippedAndTheNextOneKept)
{
    fake.down("https://pve1:8006");
    fake.on("GET", "/version", {FakeHttpTransport::ok(R"({"version":"8.2"})")});
    ApiClient client(fake, endpoint(), recordingRetry());
    ASSERT_TRUE(client.get("/version"));
    ASSERT_TRUE(client.get("/version"));
    auto reqs = fake.requests();
    ASSERT_EQ(reqs.size(), 3u);  // pve1 refused, pve2 answered, then pve2 straight away
    EXPECT_EQ(reqs[0].url.rfind("https://pve1:8006", 0), 0u);
    EXPECT_EQ(reqs[1].url.rfind("https://pve2:8006", 0), 0u);
    EXPECT_EQ(reqs[2].url.rfind("https://pve2:8006", 0), 0u);
    EXPECT_TRUE(waits.empty()) << "a failover is not a retry";
}

TEST_F(ProxmoxApiClientTest, AClusterWithNoNodeAnsweringIsBackendUnavailableNamingIt)
{
    for (auto url : endpoint().baseUrls)
        fake.down(url);
    ApiClient client(fake, endpoint(), recordingRetry());
    auto r = client.get("/version");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendUnavailable);
    EXPECT_NE(r.error().message.find("cluster lab"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("pve3:8006: Failed to connect"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find(kSecret), std::string::npos);
    EXPECT_EQ(waits.size(), 4u);  // 5 attempts over all nodes, backing off between them
    EXPECT_EQ(fake.requests().size(), 15u);
}

TEST_F(ProxmoxApiClientTest, LockTimeoutsAreRetriedWithGrowingBackoff)
{
    FakeHttpTransport::Reply locked{500, "can't lock file '/run/lock/lxc/pve-config-9000.lock' - got timeout", ""};
    fake.on("POST", "/nodes/pve1/lxc/9000/clone", {locked, locked, FakeHttpTransport::ok(R"("UPID:x")")});
    ApiClient client(fake, endpoint(), recordingRetry());
    auto r = client.post("/nodes/pve1/lxc/9000/clone", {{"newid", "9101"}});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(waits, (std::vector<std::chrono::milliseconds>{200ms, 400ms}));
}

TEST_F(ProxmoxApiClientTest, WhatStaysRefusedIsNotRetried)
{
    fake.on("POST", "/nodes/pve1/lxc/9000/clone",
            {{400, "Parameter verification failed.", R"({"errors":{"newid":"invalid format"},"data":null})"}});
    ApiClient client(fake, endpoint(), recordingRetry());
    auto r = client.post("/nodes/pve1/lxc/9000/clone", {{"newid", "x"}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgs);
    EXPECT_NE(r.error().message.find("'newid'"), std::string::npos);
    EXPECT_EQ(fake.requests().size(), 1u);
    EXPECT_TRUE(waits.empty());
}

TEST_F(ProxmoxApiClientTest, ATransientFailureThatLastsEndsAfterTheLastAttempt)
{
    fake.on("GET", "/version", {{503, "Service Unavailable", ""}});
    ApiClient client(fake, endpoint(), recordingRetry());
    auto r = client.get("/version");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendUnavailable);
    EXPECT_EQ(fake.requests().size(), 5u);
    EXPECT_EQ(waits, (std::vector<std::chrono::milliseconds>{200ms, 400ms, 800ms, 1600ms}));
}

TEST_F(ProxmoxApiClientTest, CancelCutsTheBackoffShort)
{
    fake.on("GET", "/version", {{503, "Service Unavailable", ""}});
    RetryPolicy real;  // the real sleep
    real.firstDelay = 10s;
    ApiClient client(fake, endpoint(), real);
    std::stop_source stop;
    std::thread canceller([&] {
        while (fake.requests().empty())
            std::this_thread::yield();
        stop.request_stop();
    });
    auto r = client.get("/version", {}, stop.get_token());
    canceller.join();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Cancelled);
    EXPECT_EQ(fake.requests().size(), 1u);
}

TEST_F(ProxmoxApiClientTest, AnAnswerWithoutDataIsTheServersFault)
{
    fake.on("GET", "/version", {{200, "OK", "<html>proxy</html>"}});
    ApiClient client(fake, endpoint(), recordingRetry());
    auto r = client.get("/version");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::BackendFailed);
}

}  // namespace
}  // namespace zenith::drivers::proxmox
