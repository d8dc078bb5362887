import { prepare } from './workspace';

export default function globalSetup(): void {
  prepare();
}
