// Each failure shape of proxmox-notes.md ("Errors") becomes its named error,
// with the server's words in the message, and only the passing ones are
// retried.
#include <gtest/gtest.h>

#include "drivers/proxmox/client/api_reply.h"

namespace zenith::drivers::proxmox {
namespace {

using core::ErrorCode;

ApiFailure classify(long status, std::string statusText, std::string body = "")
{
    auto f = classifyReply({status, std::move(statusText), std::move(body)}, "POST /nodes/pve1/lxc/9000/clone");
    EXPECT_TRUE(f.has_value()) << status;
    return f.value_or(ApiFailure{});
}

TEST(ProxmoxApiReply, SuccessIsNoFailure)
{
    EXPECT_FALSE(classifyReply({200, "OK", R"({"data":"UPID:..."})"}, "GET /version"));
    EXPECT_FALSE(classifyReply({204, "No Content", ""}, "PUT /x"));
}

TEST(ProxmoxApiReply, ParameterErrorsNameEveryField)
{
    auto f = classify(400, "Parameter verification failed.",
                      R"({"errors":{"net0":"invalid format - format error\nnet0.ip: invalid format","cores":"value must have a minimum value of 1"},"data":null})");
    EXPECT_EQ(f.error.code, ErrorCode::InvalidArgs);
    EXPECT_FALSE(f.transient);
    EXPECT_NE(f.error.message.find("'net0': invalid format - format error\\x0anet0.ip"), std::string::npos)
        << f.error.message;
    EXPECT_NE(f.error.message.find("'cores': value must have a minimum value of 1"), std::string::npos)
        << f.error.message;
    EXPECT_NE(f.error.message.find("POST /nodes/pve1/lxc/9000/clone"), std::string::npos);
}

TEST(ProxmoxApiReply, ManyRefusedFieldsAreCountedNotAllListed)
{
    std::string body = R"({"errors":{)";
    for (int i = 0; i < 50; ++i)
        body += (i ? "," : "") + std::string("\"f") + std::to_string(100 + i) + "\":\"bad\"";
    body += "}}";
    auto f = classify(400, "Parameter verification failed.", body);
    EXPECT_NE(f.error.message.find("and 42 more"), std::string::npos) << f.error.message;
}

TEST(ProxmoxApiReply, ATaskNotVisibleYetIsRetried)
{
    // As Tasks.pm answers: the generic status line, the reason in `upid`.
    auto f = classify(400, "Parameter verification failed.", R"({"errors":{"upid":"no such task"},"data":null})");
    EXPECT_TRUE(f.transient);
    EXPECT_EQ(f.error.code, ErrorCode::BackendFailed);
    auto old = classify(400, "no such task", "{\"data\":null}");
    EXPECT_TRUE(old.transient);
}

TEST(ProxmoxApiReply, RefusedTokenAndMissingPermission)
{
    auto token = classify(401, "authentication failure", "");
    EXPECT_EQ(token.error.code, ErrorCode::BackendUnavailable);
    EXPECT_NE(token.error.message.find("refused the API token"), std::string::npos);
    EXPECT_FALSE(token.transient);

    auto perm = classify(403, "Permission check failed (/vms/9000, VM.Clone)", "");
    EXPECT_EQ(perm.error.code, ErrorCode::BackendFailed);
    EXPECT_NE(perm.error.message.find("Permission check failed (/vms/9000, VM.Clone)"), std::string::npos);
}

TEST(ProxmoxApiReply, TheBodysMessageWinsOverTheStatusLine)
{
    auto f = classify(500, "Internal Server Error", R"({"data":null,"message":"CT 9101 already exists on node 'pve1'\n"})");
    EXPECT_EQ(f.error.code, ErrorCode::MachineExists);
    EXPECT_NE(f.error.message.find("CT 9101 already exists"), std::string::npos) << f.error.message;
}

TEST(ProxmoxApiReply, ServerErrorsByWhatTheySay)
{
    struct Case {
        long status;
        const char* text;
        ErrorCode code;
        bool transient;
    };
    for (const Case& c : {
             Case{500, "can't lock file '/run/lock/lxc/pve-config-9000.lock' - got timeout", ErrorCode::Busy, true},
             Case{500, "CT is locked (disk)", ErrorCode::Busy, false},
             Case{500, "unable to destroy CT 9101 - container is running", ErrorCode::Busy, false},
             Case{500, "CT 9101 already running", ErrorCode::Busy, false},
             Case{500, "Configuration file 'nodes/pve2/lxc/9101.conf' does not exist", ErrorCode::NoSuchMachine,
                  false},
             Case{502, "Bad Gateway", ErrorCode::BackendUnavailable, true},
             Case{503, "Service Unavailable", ErrorCode::BackendUnavailable, true},
             Case{500, "storage 'local' does not support container directories", ErrorCode::BackendFailed, false},
             Case{501, "Method 'DELETE /nodes/pve1/lxc/1' not implemented", ErrorCode::BackendFailed, false},
         }) {
        auto f = classify(c.status, c.text);
        EXPECT_EQ(f.error.code, c.code) << c.text;
        EXPECT_EQ(f.transient, c.transient) << c.text;
        EXPECT_NE(f.error.message.find(c.text), std::string::npos) << f.error.message;
    }
}

TEST(ProxmoxApiReply, AnOfflineNode)
{
    auto f = classify(595, "No route to host");
    EXPECT_EQ(f.error.code, ErrorCode::BackendUnavailable);
    EXPECT_NE(f.error.message.find("offline"), std::string::npos);
}

TEST(ProxmoxApiReply, ServerTextIsEscapedAndBounded)
{
    // A 1 MiB reason with invalid UTF-8 and newlines: one bounded, valid line.
    std::string text(1 << 20, 'x');
    text[10] = '\n';
    text[11] = '\xff';
    auto f = classify(500, text, "not json");
    EXPECT_LT(f.error.message.size(), 700u);
    EXPECT_EQ(f.error.message.find('\n'), std::string::npos);
    EXPECT_NE(f.error.message.find("\\x0a\\xff"), std::string::npos) << f.error.message.substr(0, 120);
}

}  // namespace
}  // namespace zenith::drivers::proxmox
