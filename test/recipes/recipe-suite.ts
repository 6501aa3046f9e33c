// The recipe suite, written once and run against every server: Meerkat (meerkat.test.ts) and Apache
// ZooKeeper 3.8 (reference-zookeeper.test.ts), so a recipe that only works because of a Meerkat
// quirk fails on ZooKeeper. Tests that need Meerkat itself (its internals, its processes, counting
// its calls) live in the per-recipe test files beside this one.
//
// The server must allow session timeouts from 400 ms to 4 s. Connections are cut through a CutProxy
// and sessions expired by the fixture (test/helpers/server-fixture.ts). Each test works under its
// own paths, so the tests share one server. Every wait is bounded.

import { describe } from 'node:test';
import { useServer, type TestServer } from '../helpers/server-fixture.js';
import { coordinationRecipes } from './recipe-suite-coordination.js';
import { dataRecipes } from './recipe-suite-data.js';

export interface RecipeTarget {
  name: string;
  skip: string | false;
  /** Starts a server whose session timeouts may be as low as 400 ms and as high as 4000 ms. */
  start(): Promise<TestServer>;
}

export function recipeSuite(target: RecipeTarget): void {
  describe(`recipes against ${target.name}`, { skip: target.skip, timeout: 120_000 }, () => {
    const fixture = useServer(target.start, { sessionTimeoutMs: 4000, connectTimeoutMs: 5000 });
    coordinationRecipes(fixture);
    dataRecipes(fixture);
  });
}
