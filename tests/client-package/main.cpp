// Builds a spec and maps an error name with the installed library; with
// --connect ADDRESS it also lists machines on that bus.
#include <cstring>
#include <iostream>

#include <zenith/client/client.h>

int main(int argc, char** argv)
{
    zenith::client::Spec spec;
    spec.setRelease("bookworm").setMemoryMax(1ull << 30).setCpuQuota(150);
    auto kind = zenith::client::errorKindFromName("org.zenith.Provisioner.Error.Busy");
    std::cout << "keys=" << spec.values().size() << " busy=" << zenith::client::errorKindName(kind) << '\n';
    if (spec.values().size() != 3 || kind != zenith::client::ErrorKind::Busy)
        return 1;

    if (argc == 3 && std::strcmp(argv[1], "--connect") == 0) {
        auto client = zenith::client::Client::connect({.address = argv[2]});
        if (!client) {
            std::cout << "connect: " << zenith::client::errorKindName(client.error().kind) << '\n';
            return client.error().kind == zenith::client::ErrorKind::Disconnected ? 0 : 1;
        }
    }
    return 0;
}
