export * from '../../src/llm/testing/openai-server.js';
