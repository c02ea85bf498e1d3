import { projectTestConfig } from '../../vitest.shared.js';

export default projectTestConfig('woody-api', { services: true });
