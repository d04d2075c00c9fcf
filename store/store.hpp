#pragma once

// tr::store: persistence of connections, device routes, users, domain groups and domains (SQLite
// on one node, PostgreSQL shared by the replicas of a cluster), with keys sealed by AES-256-GCM
// and a feed of committed changes.
//
//   auto db = tr::store::database::open("data/router.db");   // result<unique_ptr<database>>
//   auto sub = (*db)->changes().subscribe([](const tr::store::change_event& e) { ... });
//   auto made = (*db)->create_connection({.name = "AS 1", .url = "https://as.example.com/up"});

#include "store/change_feed.hpp"
#include "store/database.hpp"
#include "store/model.hpp"
#include "store/result.hpp"
