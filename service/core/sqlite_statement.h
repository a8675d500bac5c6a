// A prepared SQLite statement that resets itself after each use, so the
// registry prepares every query once and binds values instead of building SQL.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace zenith::core {

class SqliteStatement {
public:
    SqliteStatement() = default;
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;
    ~SqliteStatement() { sqlite3_finalize(stmt_); }

    // SQLITE_OK or the error code; the statement is kept for the connection's life.
    int prepare(sqlite3* db, std::string_view sql)
    {
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
        return sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_,
                                  nullptr);
    }

    // Binds by 1-based position.
    void bind(int i, std::string_view v) { sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
    void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
    // Unsigned 64-bit values are stored bit for bit; read them back with columnU64.
    void bind(int i, uint64_t v) { sqlite3_bind_int64(stmt_, i, static_cast<sqlite3_int64>(v)); }
    void bind(int i, uint32_t v) { sqlite3_bind_int64(stmt_, i, v); }
    void bind(int i, bool v) { sqlite3_bind_int(stmt_, i, v ? 1 : 0); }
    void bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }

    int step() { return sqlite3_step(stmt_); }
    void reset()
    {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }

    std::string columnText(int i) const
    {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i))) : std::string();
    }
    int64_t columnI64(int i) const { return sqlite3_column_int64(stmt_, i); }
    uint64_t columnU64(int i) const { return static_cast<uint64_t>(sqlite3_column_int64(stmt_, i)); }
    uint32_t columnU32(int i) const { return static_cast<uint32_t>(sqlite3_column_int64(stmt_, i)); }
    double columnDouble(int i) const { return sqlite3_column_double(stmt_, i); }

private:
    sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope using it ends, whatever the outcome.
class StatementUse {
public:
    explicit StatementUse(SqliteStatement& s) : s_(s) {}
    ~StatementUse() { s_.reset(); }
    SqliteStatement* operator->() { return &s_; }

private:
    SqliteStatement& s_;
};

}  // namespace zenith::core
