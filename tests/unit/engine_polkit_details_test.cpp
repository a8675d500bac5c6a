// What a validated request tells polkit: the machine a clone copies
// (`source`), `template` only when that source is a template (or a create
// names one), the bridge joined and the host ports published.
#include <gtest/gtest.h>

#include "core/flags.h"
#include "engine_fixture.h"

namespace zenith::unittest {
namespace {

using core::SpecValue;

TEST_F(EngineTest, CloneNamesItsSourceAndTemplateOnlyForATemplate)
{
    makeMachine("cust-alice-web");
    auto plain = engine->prepareClone("cust-alice-web", "copy1", {}, 0);
    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_EQ(plain->source, "cust-alice-web");
    EXPECT_EQ(plain->templateName, "") << "a machine that is not a template is no `template`";

    makeMachine("golden", core::kFlagNoStart);
    auto made = engine->submit(*engine->prepareSimple("template", "golden", 0), 0);
    ASSERT_TRUE(made);
    ASSERT_EQ(observer.waitFinished(made->jobId).state, core::JobState::Done);
    auto fromTemplate = engine->prepareClone("golden", "copy2", {}, 0);
    ASSERT_TRUE(fromTemplate);
    EXPECT_EQ(fromTemplate->source, "golden");
    EXPECT_EQ(fromTemplate->templateName, "golden");
}

TEST_F(EngineTest, CreateNamesItsBridgeAndHostPortsSortedOnce)
{
    core::SpecMap spec{
        {"bridge", SpecValue{std::string("br-cust"), "s"}},
        {"template", SpecValue{std::string("golden"), "s"}},
        {"ports", SpecValue{std::vector<core::PortForward>{{"tcp", 8443, 443}, {"udp", 80, 80}, {"tcp", 80, 80}},
                            "a(sqq)"}}};
    auto req = engine->prepareCreate("web1", "nspawn", spec, 0);
    ASSERT_TRUE(req) << req.error().message;
    EXPECT_EQ(req->bridge, "br-cust");
    EXPECT_EQ(req->templateName, "golden");
    EXPECT_EQ(req->hostPorts, (std::vector<uint16_t>{80, 8443}));
    auto none = engine->prepareCreate("web2", "nspawn", {}, 0);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->bridge, "");
    EXPECT_TRUE(none->hostPorts.empty());
}

// A forward change asks `configure`, with the host port it adds or removes.
TEST_F(EngineTest, ForwardChangesAreConfigureWithTheirHostPort)
{
    makeMachine("web", core::kFlagNoStart);
    auto req = engine->prepare("add-forward",
                               core::OperationInput{.machine = "web",
                                                    .spec = {{"proto", SpecValue{std::string("tcp"), "s"}},
                                                             {"host_port", SpecValue{uint16_t{8443}, "q"}},
                                                             {"machine_port", SpecValue{uint16_t{443}, "q"}}}});
    ASSERT_TRUE(req) << req.error().message;
    EXPECT_EQ(req->operation->action(), "configure");
    EXPECT_EQ(req->operationName(), "add-forward");
    EXPECT_EQ(req->machine, "web");
    EXPECT_EQ(req->hostPorts, (std::vector<uint16_t>{8443}));
}

}  // namespace
}  // namespace zenith::unittest
