export * from "./accounts";
export * from "./realtime";
export * from "./integrations";
export * from "./sandbox";
export * from "./agent";
export * from "./kb";
export * from "./templates";
export * from "./webhooks";
