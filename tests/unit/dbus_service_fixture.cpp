#include "dbus_service_fixture.h"

#include <unistd.h>

#include <algorithm>

namespace zenith::unittest {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void DbusServiceTest::SetUp()
{
    dir = fs::temp_directory_path() / ("zenith-dbus-service-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    bus = std::make_unique<zenith::testing::PrivateBus>();

    serverConn = sdbus::createSessionBusConnectionWithAddress(bus->address());
    serverConn->requestName(kService);
    loop = std::move(*busloop::EventLoop::create());
    ASSERT_TRUE(loop->attach(*serverConn));
    auto reg = core::Registry::open((dir / "zenith.db").string());
    ASSERT_TRUE(reg) << reg.error().message;
    registry = std::move(*reg);
    auto d = std::make_unique<testsupport::FakeDriver>();
    driver = d.get();
    driver->imageList = {{"debian-bookworm-amd64", "base", "/fake/img", 1234}};
    driver->addresses = {"10.1.10.91"};
    std::vector<std::unique_ptr<drivers::Driver>> drivers;
    drivers.push_back(std::move(d));
    engine = std::make_unique<core::Engine>(core::Config{}, *registry, std::move(drivers));
    authorizer = std::make_unique<testsupport::FakeAuthorizer>(*loop);
    service = std::make_unique<dbus::ProvisionerService>(*serverConn, *loop, *engine, *authorizer, linger);
    engine->setObserver(service.get());
    ASSERT_TRUE(engine->recover());
    service->publishAll();
    loopThread = std::make_unique<LoopThread>(*loop);

    clientConn = sdbus::createSessionBusConnectionWithAddress(bus->address());
    match_ = clientConn->addMatch("type='signal',sender='org.zenith.Provisioner'",
                                  [this](sdbus::Message& m) { record(m); });
    clientConn->enterEventLoopAsync();
    manager = sdbus::createProxy(*clientConn, kService, kRoot);
}

void DbusServiceTest::TearDown()
{
    manager.reset();
    match_ = {};
    if (clientConn)
        clientConn->leaveEventLoop();
    clientConn.reset();
    if (driver)
        driver->releaseAll();  // parked calls past their point of no return ignore shutdown
    loopThread.reset();
    engine.reset();
    service.reset();
    authorizer.reset();
    loop.reset();
    serverConn.reset();
    bus.reset();
    fs::remove_all(dir);
}

void DbusServiceTest::record(sdbus::Message& m)
{
    SeenSignal s{m.getPath(), m.getInterfaceName(), m.getMemberName(), {}, -1};
    try {
        if (s.member == "ProgressChanged") {
            std::string step, message;
            m >> s.progress >> step >> message;
            s.strings = {step, message};
        } else if (s.member == "Completed") {
            std::string result, name, message;
            m >> result >> name >> message;
            s.strings = {result, name, message};
        } else if (s.member == "JobRemoved") {
            uint32_t id;
            sdbus::ObjectPath p;
            std::string result;
            m >> id >> p >> result;
            s.strings = {p, result};
        } else if (s.member == "PropertiesChanged") {
            std::string iface;
            std::map<std::string, sdbus::Variant> changed;
            m >> iface >> changed;
            s.strings = {iface};
            for (auto& [name, value] : changed) {
                s.strings.push_back(name);
                if (name == "State")
                    s.strings.push_back("State=" + value.get<std::string>());
                if (name == "Cancelable")
                    s.strings.push_back(std::string("Cancelable=") + (value.get<bool>() ? "true" : "false"));
            }
        } else if (s.member == "JobNew" || s.member == "InterfacesAdded" || s.member == "InterfacesRemoved") {
            if (s.member == "JobNew") {
                uint32_t id;
                m >> id;
            }
            sdbus::ObjectPath p;
            m >> p;
            s.strings = {p};
        }
    } catch (const sdbus::Error&) {
        // Recorded with what could be read; a test that needs more fails.
    }
    std::lock_guard l(sigMu_);
    signals_.push_back(std::move(s));
    sigCv_.notify_all();
}

std::vector<SeenSignal> DbusServiceTest::seen()
{
    std::lock_guard l(sigMu_);
    return signals_;
}

std::vector<SeenSignal> DbusServiceTest::signalsOn(const std::string& path, const std::string& member)
{
    std::vector<SeenSignal> out;
    for (const auto& s : seen())
        if (s.path == path && s.member == member)
            out.push_back(s);
    return out;
}

namespace {

bool matches(const SeenSignal& s, const std::string& path, const std::string& member, const std::string& withString)
{
    if (s.path != path || s.member != member)
        return false;
    return withString.empty() || std::find(s.strings.begin(), s.strings.end(), withString) != s.strings.end();
}

}  // namespace

int DbusServiceTest::indexOf(const std::string& path, const std::string& member, const std::string& withString)
{
    auto all = seen();
    for (size_t i = 0; i < all.size(); ++i)
        if (matches(all[i], path, member, withString))
            return static_cast<int>(i);
    return -1;
}

bool DbusServiceTest::waitSignal(const std::string& path, const std::string& member, const std::string& withString)
{
    std::unique_lock l(sigMu_);
    return sigCv_.wait_for(l, 60s, [&] {
        for (const auto& s : signals_)
            if (matches(s, path, member, withString))
                return true;
        return false;
    });
}

std::pair<std::string, std::string> DbusServiceTest::create(const std::string& name,
                                                            std::map<std::string, sdbus::Variant> spec,
                                                            uint64_t flags)
{
    sdbus::ObjectPath machine, job;
    manager->callMethod("CreateMachine")
        .onInterface(kManager)
        .withArguments(name, std::string("nspawn"), spec, flags)
        .storeResultsTo(machine, job);
    return {machine, job};
}

std::string DbusServiceTest::destroy(const std::string& name, uint64_t flags)
{
    sdbus::ObjectPath job;
    manager->callMethod("DestroyMachine").onInterface(kManager).withArguments(name, flags).storeResultsTo(job);
    return job;
}

void DbusServiceTest::cancelJob(uint32_t id)
{
    manager->callMethod("CancelJob").onInterface(kManager).withArguments(id);
}

std::string DbusServiceTest::errorOf(const std::function<void()>& call, std::string* message)
{
    try {
        call();
    } catch (const sdbus::Error& e) {
        if (message)
            *message = e.getMessage();
        return e.getName();
    }
    return "";
}

std::vector<core::AuditEntry> DbusServiceTest::audit()
{
    auto a = registry->auditEntries();
    EXPECT_TRUE(a);
    return a ? *a : std::vector<core::AuditEntry>{};
}

}  // namespace zenith::unittest
