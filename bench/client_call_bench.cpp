// One method call through libzenith-client against raw sd-bus calls to the
// same daemon on the same bus (DBUS_SYSTEM_BUS_ADDRESS):
//   ClientMachines   Client::machines()            ListMachines, decoded into structs
//   RawListMachines  sd_bus_call ListMachines       the same method, decoded by hand
//   RawPing          sd_bus_call Peer.Ping          the floor: one round trip, no work
// The gap between the first two is what the library costs; between the last
// two, what the daemon's ListMachines handler costs.
#include <benchmark/benchmark.h>
#include <systemd/sd-bus.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "zenith/client/client.h"

namespace {

using zenith::client::Client;

constexpr const char* kService = "org.zenith.Provisioner";
constexpr const char* kRoot = "/org/zenith/Provisioner";

std::optional<Client>& client()
{
    static std::optional<Client> c;
    return c;
}

struct BusDeleter {
    void operator()(sd_bus* b) const { sd_bus_flush_close_unref(b); }
};
using BusPtr = std::unique_ptr<sd_bus, BusDeleter>;

BusPtr& rawBus()
{
    static BusPtr bus;
    return bus;
}

void ClientMachines(benchmark::State& state)
{
    size_t rows = 0;
    for (auto _ : state) {
        auto r = client()->machines();
        if (!r) {
            state.SkipWithError(("machines(): " + r.error().name + ": " + r.error().message).c_str());
            return;
        }
        rows = r->size();
        benchmark::DoNotOptimize(rows);
    }
    state.counters["machines"] = static_cast<double>(rows);
}

// Reads every field, as the client does, so both sides do the same work.
int decodeMachines(sd_bus_message* reply, size_t& rows)
{
    int r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(sssso)");
    if (r < 0)
        return r;
    rows = 0;
    const char *name, *backend, *st, *addr, *path;
    while ((r = sd_bus_message_read(reply, "(sssso)", &name, &backend, &st, &addr, &path)) > 0) {
        std::string copy = std::string(name) + backend + st + addr + path;
        benchmark::DoNotOptimize(copy);
        ++rows;
    }
    if (r < 0)
        return r;
    return sd_bus_message_exit_container(reply);
}

void RawListMachines(benchmark::State& state)
{
    size_t rows = 0;
    for (auto _ : state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message* reply = nullptr;
        int r = sd_bus_call_method(rawBus().get(), kService, kRoot, "org.zenith.Provisioner.Manager",
                                   "ListMachines", &error, &reply, "");
        if (r >= 0)
            r = decodeMachines(reply, rows);
        sd_bus_message_unref(reply);
        if (r < 0) {
            state.SkipWithError(error.name ? error.name : ("ListMachines: " + std::string(strerror(-r))).c_str());
            sd_bus_error_free(&error);
            return;
        }
    }
    state.counters["machines"] = static_cast<double>(rows);
}

void RawPing(benchmark::State& state)
{
    for (auto _ : state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message* reply = nullptr;
        int r = sd_bus_call_method(rawBus().get(), kService, kRoot, "org.freedesktop.DBus.Peer", "Ping", &error,
                                   &reply, "");
        sd_bus_message_unref(reply);
        if (r < 0) {
            state.SkipWithError(error.name ? error.name : "Ping failed");
            sd_bus_error_free(&error);
            return;
        }
    }
}

BENCHMARK(ClientMachines)->Unit(benchmark::kMicrosecond);
BENCHMARK(RawListMachines)->Unit(benchmark::kMicrosecond);
BENCHMARK(RawPing)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;

    // Both sides connect once, before timing, the way a panel keeps one
    // connection: the benchmark is the call, not the connection set-up.
    auto c = Client::connect();
    if (!c) {
        std::fprintf(stderr, "cannot reach the provisioner: %s: %s\n", c.error().name.c_str(),
                     c.error().message.c_str());
        return 1;
    }
    client().emplace(std::move(*c));
    sd_bus* bus = nullptr;
    if (int r = sd_bus_open_system(&bus); r < 0) {
        std::fprintf(stderr, "sd_bus_open_system: %d\n", r);
        return 1;
    }
    rawBus().reset(bus);
    // sd-bus connects lazily: finish the handshake now, or the bus daemon
    // drops the still unauthenticated connection (auth_timeout) while the
    // client benchmark runs first.
    sd_bus_error error = SD_BUS_ERROR_NULL;
    if (int r = sd_bus_call_method(bus, kService, kRoot, "org.freedesktop.DBus.Peer", "Ping", &error, nullptr, "");
        r < 0) {
        std::fprintf(stderr, "Ping %s: %s\n", kService, error.message ? error.message : std::strerror(-r));
        sd_bus_error_free(&error);
        return 1;
    }

    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    client().reset();
    rawBus().reset();
    return 0;
}
