#include "drivers/proxmox/cluster.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/log.h"

namespace zenith::drivers::proxmox {

Cluster::Cluster(ClusterOptions options, std::unique_ptr<HttpTransport> transport, ClusterEndpoint endpoint,
                 RetryPolicy retry)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      api_(*transport_, std::move(endpoint), std::move(retry)),
      view_(std::make_shared<ClusterView>())
{
}

std::shared_ptr<const ClusterView> Cluster::view() const
{
    std::lock_guard lock(mu_);
    return view_;
}

core::Result<void> Cluster::refresh(std::stop_token stop, bool guestsOnly)
{
    auto next = std::make_shared<ClusterView>();
    next->readStarted = std::chrono::system_clock::now();
    auto fail = [&](const core::Error& e) -> core::Result<void> {
        std::lock_guard lock(mu_);
        auto kept = std::make_shared<ClusterView>(*view_);
        kept->lastError = e.message;
        view_ = std::move(kept);
        return std::unexpected(e);
    };
    auto data = api_.get("/cluster/resources", {}, stop);
    if (!data)
        return fail(data.error());
    auto res = parseClusterResources(*data);
    if (!res)
        return fail(res.error());
    next->resources = std::move(*res);

    std::set<std::string> online;
    for (const auto& n : next->resources.nodes)
        if (n.status == "online")
            online.insert(n.node);
    const auto previous = view();
    if (guestsOnly && previous->valid) {
        next->isos = previous->isos;
        next->templates = previous->templates;
        next->backups = previous->backups;
        next->lastError = previous->lastError;
        next->refreshed = std::chrono::system_clock::now();
        next->valid = true;
        std::lock_guard lock(mu_);
        view_ = std::move(next);
        return {};
    }
    auto keep = [&](StorageVolume v) {
        auto& list = v.content == "iso" ? next->isos : v.content == "vztmpl" ? next->templates : next->backups;
        if (v.content == "iso" || v.content == "vztmpl" || v.content == "backup")
            list.push_back(std::move(v));
    };
    // A shared storage shows the same files from every node: read once,
    // listed for every online node that has it active.
    std::map<std::string, std::vector<StorageVolume>> sharedRead;
    std::vector<std::string> unreadable;
    for (const auto& s : next->resources.storages) {
        if (!s.active || !online.contains(s.node) || (!s.holds("iso") && !s.holds("vztmpl") && !s.holds("backup")))
            continue;
        if (stop.stop_requested())
            return fail({core::ErrorCode::Cancelled, "refresh cancelled"});
        std::vector<StorageVolume> volumes;
        if (auto it = sharedRead.find(s.storage); s.shared && it != sharedRead.end()) {
            volumes = it->second;
            for (auto& v : volumes)
                v.node = s.node;
        } else {
            auto content = api_.get(fmt::format("/nodes/{}/storage/{}/content", s.node, s.storage), {}, stop);
            auto parsed = content ? parseStorageContent(*content, s.node, s.storage)
                                  : core::Result<std::vector<StorageVolume>>(std::unexpected(content.error()));
            if (!parsed) {
                // One storage that cannot be read now keeps what was last
                // read of it: its files did not vanish.
                unreadable.push_back(fmt::format("{} on {}: {}", s.storage, s.node, parsed.error().message));
                for (const auto* old : {&previous->isos, &previous->templates, &previous->backups})
                    for (const auto& v : *old)
                        if (v.node == s.node && v.storage == s.storage)
                            keep(v);
                continue;
            }
            volumes = std::move(*parsed);
            if (s.shared)
                sharedRead[s.storage] = volumes;
        }
        for (auto& v : volumes)
            keep(std::move(v));
    }
    for (const auto& u : unreadable)
        log::warning({}, "Proxmox cluster {}: cannot read storage {}", name(), u);
    if (!unreadable.empty())
        next->lastError = "cannot read storage " + unreadable.front();
    next->refreshed = std::chrono::system_clock::now();
    next->valid = true;
    std::lock_guard lock(mu_);
    view_ = std::move(next);
    return {};
}

core::Result<std::optional<ClusterGuest>> Cluster::locate(uint32_t vmid, std::stop_token stop)
{
    auto data = api_.get("/cluster/resources", {{"type", "vm"}}, stop);
    if (!data)
        return std::unexpected(data.error());
    auto res = parseClusterResources(*data);
    if (!res)
        return std::unexpected(res.error());
    if (const ClusterGuest* g = findGuest(res->guests, vmid))
        return *g;
    return std::nullopt;
}

ClusterSet::ClusterSet(std::vector<std::shared_ptr<Cluster>> clusters, std::chrono::seconds interval)
    : clusters_(std::move(clusters)), interval_(interval)
{
    std::sort(clusters_.begin(), clusters_.end(), [](const auto& a, const auto& b) { return a->name() < b->name(); });
}

ClusterSet::~ClusterSet()
{
    if (thread_.joinable()) {
        thread_.request_stop();
        thread_.join();
    }
}

void ClusterSet::start()
{
    if (thread_.joinable() || clusters_.empty())
        return;
    {
        std::lock_guard lock(mu_);
        for (const auto& c : clusters_)
            pending_[c->name()] = Pending::Full;
    }
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void ClusterSet::refreshSoon(const std::string& cluster)
{
    {
        std::lock_guard lock(mu_);
        for (const auto& c : clusters_)
            if ((cluster.empty() || c->name() == cluster) && pending_[c->name()] == Pending::None)
                pending_[c->name()] = Pending::Guests;
    }
    wake_.notify_all();
}

size_t ClusterSet::addListener(Listener l)
{
    std::lock_guard lock(listenersMu_);
    const size_t id = nextListener_++;
    listeners_.emplace(id, std::move(l));
    return id;
}

void ClusterSet::removeListener(size_t id)
{
    std::lock_guard lock(listenersMu_);
    listeners_.erase(id);
}

Cluster* ClusterSet::find(const std::string& name) const
{
    for (const auto& c : clusters_)
        if (c->name() == name)
            return c.get();
    return nullptr;
}

core::Result<Cluster*> ClusterSet::pick(const std::string& name) const
{
    if (clusters_.empty())
        return core::fail(core::ErrorCode::BackendUnavailable,
                          "no Proxmox cluster is configured (a [Proxmox.NAME] section in the daemon's config)");
    if (name.empty())
        return clusters_.front().get();
    if (Cluster* c = find(name))
        return c;
    std::string known;
    for (const auto& c : clusters_)
        known += (known.empty() ? "" : ", ") + c->name();
    return core::fail(core::ErrorCode::InvalidArgs,
                      fmt::format("spec key 'cluster': no Proxmox cluster '{}' is configured (known: {})", name, known));
}

void ClusterSet::run(std::stop_token stop)
{
    auto nextRound = std::chrono::steady_clock::now();
    while (!stop.stop_requested()) {
        std::vector<std::pair<Cluster*, bool>> due;  // and whether the guests will do
        {
            std::unique_lock lock(mu_);
            wake_.wait_until(lock, stop, nextRound, [&] {
                return std::any_of(pending_.begin(), pending_.end(),
                                   [](const auto& p) { return p.second != Pending::None; });
            });
            if (stop.stop_requested())
                return;
            const bool periodic = std::chrono::steady_clock::now() >= nextRound;
            for (const auto& c : clusters_) {
                Pending& p = pending_[c->name()];
                if (periodic || p != Pending::None)
                    due.emplace_back(c.get(), !periodic && p == Pending::Guests);
                p = Pending::None;
            }
            if (periodic)
                nextRound = std::chrono::steady_clock::now() + interval_;
        }
        for (auto [c, guestsOnly] : due) {
            if (auto r = c->refresh(stop, guestsOnly); !r) {
                if (!stop.stop_requested())
                    log::warning({}, "Proxmox cluster {}: cannot refresh: {}", c->name(), r.error().message);
                continue;
            }
            auto view = c->view();
            std::lock_guard lock(listenersMu_);
            for (auto& [id, l] : listeners_)
                l(*c, *view);
        }
    }
}

}  // namespace zenith::drivers::proxmox
