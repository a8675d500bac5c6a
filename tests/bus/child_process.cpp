#include "child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>

namespace zenith::bustest {

namespace {

using Clock = std::chrono::steady_clock;

// In the child, before anything connects to the bus. Groups first: after
// setresuid the process could no longer change them.
void becomeUser(const TestUser& user)
{
    if (user.uid == 0) {
        return;
    }
    if (setgroups(user.groups.size(), user.groups.data()) != 0 || setresgid(user.gid, user.gid, user.gid) != 0 ||
        setresuid(user.uid, user.uid, user.uid) != 0) {
        dprintf(STDERR_FILENO, "cannot become %s: %s\n", user.name.c_str(), std::strerror(errno));
        _exit(127);
    }
}

void makePipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    }
}

[[noreturn]] void execArgv(const std::vector<std::string>& argv)
{
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    execvp(args[0], args.data());
    dprintf(STDERR_FILENO, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
}

// With `inWrite`, the child's stdin is a pipe whose write end it returns
// there; otherwise /dev/null.
pid_t spawn(const std::vector<std::string>& argv, const TestUser& as, int& outRead, int& errRead,
            int* inWrite = nullptr)
{
    int out[2], err[2], in[2] = {-1, -1};
    makePipe(out);
    makePipe(err);
    if (inWrite) {
        makePipe(in);
    }
    pid_t pid = fork();
    if (pid < 0) {
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        int stdinFd = inWrite ? in[0] : open("/dev/null", O_RDONLY);
        dup2(stdinFd, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        becomeUser(as);
        execArgv(argv);
    }
    close(out[1]);
    close(err[1]);
    if (inWrite) {
        close(in[0]);
        *inWrite = in[1];
    }
    outRead = out[0];
    errRead = err[0];
    return pid;
}

// Small inputs only (a secret, a line): they fit the pipe, so writing all of
// it before reading the output cannot deadlock.
void feed(int fd, const std::string& input)
{
    // A program that exits without reading must not take the test down
    // with SIGPIPE; its exit code tells what happened.
    struct sigaction ignore {}, saved {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &saved);
    const char* p = input.data();
    size_t left = input.size();
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    close(fd);
    sigaction(SIGPIPE, &saved, nullptr);
}

// Reads both fds until EOF on both or the deadline; true when both hit EOF.
bool drain(int fds[2], std::string* sinks[2], Clock::time_point deadline)
{
    bool open[2] = {fds[0] >= 0, fds[1] >= 0};
    char buffer[4096];
    while (open[0] || open[1]) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            return false;
        }
        pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
        for (int i = 0; i < 2; ++i) {
            if (!open[i]) {
                p[i].fd = -1;
            }
        }
        if (poll(p, 2, static_cast<int>(left)) < 0 && errno != EINTR) {
            return false;
        }
        for (int i = 0; i < 2; ++i) {
            if (open[i] && (p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t n = read(fds[i], buffer, sizeof buffer);
                if (n > 0) {
                    sinks[i]->append(buffer, static_cast<size_t>(n));
                } else if (n == 0 || errno != EINTR) {
                    open[i] = false;
                }
            }
        }
    }
    return true;
}

int reap(pid_t pid, bool kill)
{
    if (kill) {
        ::kill(pid, SIGKILL);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

ProgramResult runProgram(const std::vector<std::string>& argv, const TestUser& as, std::chrono::seconds timeout,
                         const std::optional<std::string>& input)
{
    ProgramResult result;
    int fds[2];
    int inWrite = -1;
    pid_t pid = spawn(argv, as, fds[0], fds[1], input ? &inWrite : nullptr);
    if (input) {
        feed(inWrite, *input);
    }
    std::string* sinks[2] = {&result.out, &result.err};
    result.timedOut = !drain(fds, sinks, Clock::now() + timeout);
    close(fds[0]);
    close(fds[1]);
    int code = reap(pid, result.timedOut);
    result.exitCode = result.timedOut ? -1 : code;
    return result;
}

std::string runAs(const TestUser& as, const std::function<std::string()>& body, std::chrono::seconds timeout)
{
    int result[2], err[2];
    makePipe(result);
    makePipe(err);
    pid_t pid = fork();
    if (pid < 0) {
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        dup2(err[1], STDERR_FILENO);
        becomeUser(as);
        std::string text;
        try {
            text = body();
        } catch (const std::exception& e) {
            text = std::string("child failed: exception: ") + e.what();
        }
        const char* p = text.data();
        size_t left = text.size();
        while (left > 0) {
            ssize_t n = write(result[1], p, left);
            if (n <= 0) {
                break;
            }
            p += n;
            left -= static_cast<size_t>(n);
        }
        // _exit: the child must not run gtest's or the parent's atexit work.
        _exit(0);
    }
    close(result[1]);
    close(err[1]);
    std::string text, errText;
    int fds[2] = {result[0], err[0]};
    std::string* sinks[2] = {&text, &errText};
    bool finished = drain(fds, sinks, Clock::now() + timeout);
    close(result[0]);
    close(err[0]);
    int code = reap(pid, !finished);
    if (!finished) {
        return "child failed: timed out; stderr: " + errText;
    }
    if (code != 0) {
        return "child failed: exit " + std::to_string(code) + "; stderr: " + errText;
    }
    return text;
}

BackgroundProgram::BackgroundProgram(const std::vector<std::string>& argv, const TestUser& as)
{
    pid_ = spawn(argv, as, out_, err_);
}

BackgroundProgram::~BackgroundProgram()
{
    if (pid_ > 0) {
        reap(pid_, true);
    }
    if (out_ >= 0) {
        close(out_);
    }
    if (err_ >= 0) {
        close(err_);
    }
}

std::optional<std::string> BackgroundProgram::readLine(std::chrono::milliseconds timeout)
{
    auto deadline = Clock::now() + timeout;
    char buffer[4096];
    for (;;) {
        if (auto nl = outBuffer_.find('\n'); nl != std::string::npos) {
            std::string line = outBuffer_.substr(0, nl);
            outBuffer_.erase(0, nl + 1);
            return line;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0 || out_ < 0) {
            return std::nullopt;
        }
        pollfd p{out_, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left)) <= 0) {
            continue;
        }
        ssize_t n = read(out_, buffer, sizeof buffer);
        if (n > 0) {
            outBuffer_.append(buffer, static_cast<size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            close(out_);
            out_ = -1;
        }
    }
}

int BackgroundProgram::wait(std::chrono::seconds timeout)
{
    int fds[2] = {out_, err_};
    std::string* sinks[2] = {&outBuffer_, &errText_};
    bool finished = drain(fds, sinks, Clock::now() + timeout);
    close(out_);
    close(err_);
    out_ = err_ = -1;
    int code = reap(pid_, !finished);
    pid_ = -1;
    return finished ? code : -1;
}

std::string BackgroundProgram::stderrText()
{
    return errText_;
}

}  // namespace zenith::bustest
