import { FakeArcgis, type FakeArcgisOptions } from './fake-arcgis';

/**
 * The local ArcGIS stand-in for a whole test file: started before its first test, back to its defaults
 * (mode, lifetime, recorded calls) before each test, stopped after its last. Call it at the top of the
 * file, so that its hooks run before the file's own.
 */
export function useFakeArcgis(options?: FakeArcgisOptions): FakeArcgis {
  const fake = new FakeArcgis(options);
  beforeAll(async () => {
    await fake.start(0);
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());
  return fake;
}
