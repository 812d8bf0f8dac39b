// Shared test setup: DOM matchers for component tests. Component test files opt into jsdom and
// fake-indexeddb with their own `@vitest-environment` pragma and import.
import '@testing-library/jest-dom/vitest';
