// The module vite.floor.config.ts generates: functions that make the floor's hello page as
// large as Baton's bundle.
declare module "virtual:floor-filler" {
  export const fillers: ((n: number) => number)[];
}
